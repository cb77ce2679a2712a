import type { Clock } from '../clock.js';
import type { ActivityRegistration, OrchestratorRegistration, Registry } from '../definitions.js';
import type { EntityRegistration } from '../entities/entity-context.js';
import type { ErrorHandler } from '../error-handler.js';
import type { LogEntry, Storage } from '../storage/types.js';
import type { VersionMatch, VersioningOptions } from '../versioning/versions.js';
import type { ManagementUrlOptions } from '../client/check-status.js';
import type { TelemetryOptions } from '../observability/telemetry-options.js';

export interface RuntimeOptions {
  storage: Storage;
  orchestrators: Registry<OrchestratorRegistration>;
  activities?: Registry<ActivityRegistration>;
  entities?: Record<string, EntityRegistration>;
  /**
   * Namespace of every key in storage; runtimes on different hubs share nothing.
   * @default 'default'
   */
  taskHub?: string;
  /**
   * How long a worker's lock on an instance or work item lasts; renewed every `leaseMs / 2`.
   * A crashed worker's work resumes elsewhere after this.
   * @default 30000
   */
  leaseMs?: number;
  /**
   * Deliveries of one work item (or instance episode) before it is failed as poison.
   * Only a delivery whose worker died with the item running counts: graceful stops
   * hand work back uncounted, and a redelivered item runs alone in its worker, so a
   * crash is charged to its cause, not to the healthy work beside it.
   * @default 5
   */
  maxDeliveries?: number;
  /**
   * Largest serialized input, output, event payload or state, in bytes.
   * @default 4194304 (4 MiB)
   */
  maxPayloadBytes?: number;
  /**
   * Longest history an instance may have; use continueAsNew for eternal orchestrations.
   * @default 50000
   */
  maxHistoryEvents?: number;
  /**
   * Live orchestrator generators kept in memory so steady-state steps never replay. 0 turns the cache off.
   * Size it above the number of instances in flight at once; a miss costs one replay.
   * @default 10000
   */
  cacheSize?: number;
  /**
   * Step commits (stores with `capabilities.stepCommit`): after an episode
   * whose commit leased its new activity to this runtime, the instance stays
   * leased to us this long, so when the activity finishes within the first
   * half of it (the rest leaves room for the commit to reach a busy store),
   * its result is committed together with the next episode: one store
   * operation per step instead of two. Messages that arrive meanwhile (events, timers,
   * terminate) wait at most this long; a worker that dies holding it delays
   * nothing longer than this (its activity is redelivered as always).
   * 0 turns step commits off.
   * @default 100
   */
  stepGraceMs?: number;
  /** @default 100 */
  maxConcurrentActivities?: number;
  /** @default 100 */
  maxConcurrentOrchestrations?: number;
  /**
   * How long stop() waits for running activities before abandoning their leases.
   * @default 30000
   */
  stopTimeoutMs?: number;
  /** @default the system clock */
  clock?: Clock;
  /** Receives replay-safe log lines from `ctx.log` (never while replaying). @default console */
  logger?: (entry: LogEntry & { instanceId: string }) => void;
  /**
   * Receives the errors no caller is waiting for: a storage call of the work
   * loops or the lease keeper that failed (the runtime retries it itself), an
   * episode that threw and was handed back, a give-back that failed. For
   * logging and alerting; the runtime carries on either way. A handler that
   * throws does not stop the runtime (what it threw goes to `console.error`).
   * Pass the same function to the storage adapter's and the HTTP handler's
   * `onError` to see every error in one place.
   * @default logs with `console.error('[reprise]', error)`
   */
  onError?: ErrorHandler;
  /**
   * The version of this runtime's code. Every instance its client starts is
   * stamped with it (an orchestrator defined with its own `version` stamps
   * that instead); sub-orchestrations inherit their parent's.
   * @default unversioned
   */
  version?: string;
  /**
   * Which instances this runtime runs, by version, and what becomes of the
   * others (see docs/versioning.md). `match` other than 'none' needs `version`.
   * @default { match: 'none', onMismatch: 'leave' }
   */
  versioning?: Partial<VersioningOptions>;
  /**
   * Where the Durable Functions HTTP API (`@reprise/http`) is mounted, for
   * `client.createCheckStatusResponse`: `prefix`, and `baseUrl` / `code` /
   * `connection` when the URLs need them. @default { prefix: '/runtime/webhooks/durabletask' } on the request's origin
   */
  managementUrls?: ManagementUrlOptions;
  /**
   * Where OpenTelemetry traces and metrics go (`@opentelemetry/api` 1.x must
   * be installed). Reprise registers nothing globally. See docs/observability.md.
   * @default the providers the application registered globally; none: nothing is recorded
   */
  telemetry?: TelemetryOptions;
}

export interface ResolvedOptions {
  taskHub: string;
  leaseMs: number;
  maxDeliveries: number;
  maxPayloadBytes: number;
  maxHistoryEvents: number;
  cacheSize: number;
  /** 0: step commits off. */
  stepGraceMs: number;
  maxConcurrentActivities: number;
  maxConcurrentOrchestrations: number;
  stopTimeoutMs: number;
  clock: Clock;
  logger: (entry: LogEntry & { instanceId: string }) => void;
  onError: ErrorHandler;
  /** This runtime's version, when it has one. */
  version: string | undefined;
  versioning: VersioningOptions;
  /** The filter its lock calls pass (onMismatch 'leave' with a match), else undefined. */
  versionFilter: VersionMatch | undefined;
}
