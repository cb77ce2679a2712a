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
}

export interface GetStatusOptions {
  showHistory?: boolean;
  /** Include `Result` / `Input` payloads in history events. */
  showHistoryOutput?: boolean;
  /** @default true */
  showInput?: boolean;
}

export interface ListInstancesFilter {
  runtimeStatus?: RuntimeStatus[] | string[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  instanceIdPrefix?: string;
  /** @default 100 */
  pageSize?: number;
  continuationToken?: string;
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

export interface StartOptions<I = unknown> {
  input?: I;
  instanceId?: string;
  /** User data kept with the instance. */
  tags?: Record<string, string>;
  /** Start no earlier than this time (a delayed start). */
  startAt?: Date;
}

export interface PurgeByFilter {
  createdTimeFrom: Date;
  createdTimeTo?: Date;
  runtimeStatus?: RuntimeStatus[] | string[];
}
