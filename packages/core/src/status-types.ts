import type { TraceContextCarrier } from './observability/telemetry-options.js';
import type { ConcurrencyOptions } from './definitions.js';
import type { RuntimeStatus } from './status.js';

/** A history event as the client renders it: Durable Task field names, payloads decoded. */
export interface HistoryEventView {
  EventType: string;
  Timestamp: string;
  [field: string]: unknown;
}

export interface OrchestrationStatus<O = unknown, I = unknown> {
  name: string;
  instanceId: string;
  createdTime: Date;
  lastUpdatedTime: Date;
  input: I | undefined;
  output: O | undefined;
  runtimeStatus: RuntimeStatus;
  customStatus: unknown;
  /** Present with `showHistory`. */
  history?: HistoryEventView[];
  /** Parent instance, for a sub-orchestration. */
  parentInstanceId?: string;
  tags?: Record<string, string>;
  /** The schedule that started this run, for an instance a schedule started. */
  scheduleId?: string;
  /** The instance's namespace; `''` is the default. */
  namespace: string;
  /** For an instance waiting in its concurrency group's queue: the group and its place (1 = next). */
  queue?: { group: string; position: number };
  /** The version of the code that started it (the runtime's, or its orchestrator definition's); absent when unversioned. */
  version?: string;
}

export interface GetStatusOptions {
  showHistory?: boolean;
  /** Include `Result` / `Input` payloads in history events. */
  showHistoryOutput?: boolean;
  /** @default true */
  showInput?: boolean;
}

export interface ListInstancesFilter {
  /** Exact match; `''` is the default namespace. @default every namespace */
  namespace?: string;
  runtimeStatus?: RuntimeStatus[] | string[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  instanceIdPrefix?: string;
  /** Exact match; `''` matches unversioned instances. @default every version */
  version?: string;
  /** Only instances of this orchestrator (exact name). */
  name?: string;
  /** @default 100 */
  pageSize?: number;
  continuationToken?: string;
  /**
   * Skip this many matching instances first (after the continuation token's
   * place, if any): offset paging for APIs that need it. The skipped rows
   * are read from the store page by page and dropped without being rendered,
   * so the cost grows with the offset; prefer continuation tokens.
   * Non-negative integer. @default 0
   */
  offset?: number;
  /** @default true */
  showInput?: boolean;
  /** Only the runs this schedule started (an instance-id prefix query; not together with `instanceIdPrefix`). */
  scheduleId?: string;
  /**
   * Include the runtime's own instances (ids starting with '~~': schedules'
   * orchestrations). They are left out by default, after the store returned
   * the page, so a page may hold fewer than `pageSize` instances while a
   * continuation token remains.
   * @default false
   */
  includeSystem?: boolean;
}

/** The filter of `countInstances`. */
export interface CountInstancesFilter {
  namespace?: string;
  /** Exact match; `''` matches unversioned instances. */
  version?: string;
  /** Only instances of this orchestrator (exact name). */
  name?: string;
  runtimeStatus?: RuntimeStatus[] | string[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
}

export interface StartOptions<I = unknown> {
  input?: I;
  instanceId?: string;
  /** The namespace the instance lives in, fixed for its lifetime and inherited by its sub-orchestrations. @default '' */
  namespace?: string;
  /** Start in a concurrency group (overrides the orchestrator's own `concurrency`). */
  concurrency?: ConcurrencyOptions;
  /** User data kept with the instance. */
  tags?: Record<string, string>;
  /** Start no earlier than this time (a delayed start). */
  startAt?: Date;
  /**
   * The caller's W3C trace context, when the start is made on someone's
   * behalf (an HTTP request's `traceparent`). Default: the active OpenTelemetry context.
   */
  traceContext?: TraceContextCarrier;
}

/** Options of `raiseEvent` and `signalEntity`. */
export interface MessageOptions {
  /** The caller's W3C trace context, as for `StartOptions.traceContext`. */
  traceContext?: TraceContextCarrier;
}

export interface PurgeByFilter {
  /** Exact match. @default every namespace */
  namespace?: string;
  createdTimeFrom: Date;
  createdTimeTo?: Date;
  runtimeStatus?: RuntimeStatus[] | string[];
}
