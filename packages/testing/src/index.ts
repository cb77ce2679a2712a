// The user-facing test kit of Reprise:
// - checkDeterminism: fuzz an orchestrator for nondeterminism (fast-check),
// - createTestRuntime: a runtime on memory storage with a time-skipping virtual clock,
// - replayHistory: replay a recorded history against current code (the pre-deploy check).
//
// No test-runner imports here: it works from vitest, jest and node:test alike.
// The storage conformance suite is a separate entry point,
// `@reprise/testing/conformance`, because it imports vitest and this one must not.

export { checkDeterminism } from './determinism/check.js';
export type { CheckDeterminismOptions, CheckDeterminismResult } from './determinism/check.js';
export { NondeterminismDetectedError } from './determinism/report.js';
export type { Scenario, Step, ActivityChoice, Crash } from './determinism/scenario.js';
export type { DivergenceKind } from './determinism/simulator.js';

export { createTestRuntime } from './test-runtime.js';
export type { TestRuntime, TestRuntimeOptions } from './test-runtime.js';
export { VirtualClock, createVirtualClock } from './virtual-clock.js';
export type { VirtualClockOptions, TimeSkipParticipant } from './virtual-clock.js';

export { replayHistory } from './replay-history.js';
export type { ReplayHistoryOptions, ReplaySummary, ReplayStatus, ReplayDivergence } from './replay-history.js';
export type { RecordedHistory } from './history-codec.js';

export { checkCompatibility, formatCompatibilityReport } from './check-compatibility.js';
export type { CheckCompatibilityOptions, CompatibilityReport, CompatibilityDivergence } from './check-compatibility.js';
export { exportHistories, replayHistories } from './golden-histories.js';
export type { ExportHistoriesOptions, ReplayHistoriesResult } from './golden-histories.js';

export type { TestRegistry } from './registry.js';

export { spanTrees, formatSpanTree } from './span-tree.js';
export type { SpanLike, SpanNode } from './span-tree.js';
