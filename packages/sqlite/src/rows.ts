/** Conversions between stored rows and the contract's records. */
import type { ActivityWorkItem, ConcurrencyGroup, HistoryEvent, InstanceRecord, RuntimeStatus } from '@reprise/core';

export interface InstanceRow {
  hub: string;
  instance_id: string;
  kind: string;
  name: string;
  execution_id: string;
  status: string;
  input: string | null;
  output: string | null;
  custom_status: string | null;
  created_at: number;
  updated_at: number;
  history_length: number;
  parent_instance_id: string | null;
  tags: string | null;
  entity_state: string | null;
  lock_token: string | null;
  lock_expires: number;
  deliveries: number;
  next_visible_at: number | null;
  change_seq: number;
  /** '' for the default namespace (and for rows written before namespaces). */
  namespace: string;
  /** JSON of the ConcurrencyGroup the instance started in. */
  concurrency: string | null;
  /** NULL: unversioned. */
  version: string | null;
}

export interface ActivityRow {
  seq: number;
  hub: string;
  instance_id: string;
  execution_id: string;
  task_scheduled_id: number;
  name: string;
  input: string | null;
  lock_token: string | null;
  lock_expires: number;
  deliveries: number;
  canceled: number;
}

/**
 * The instance columns read as an array (better-sqlite3's raw mode: no
 * object per row, measurably cheaper on the hot path). The first 13 are the
 * columns a commit may write, in `commitValuesOf` order.
 */
export const RAW_COLUMNS =
  'kind, name, execution_id, status, input, output, custom_status, created_at, updated_at, history_length, parent_instance_id, tags, entity_state, instance_id, namespace, concurrency, version, deliveries';

/** A row read with RAW_COLUMNS. */
export type RawInstance = readonly [
  kind: string, name: string, executionId: string, status: string, input: string | null, output: string | null, customStatus: string | null,
  createdAt: number, updatedAt: number, historyLength: number, parentInstanceId: string | null, tags: string | null, entityState: string | null,
  instanceId: string, namespace: string, concurrency: string | null, version: string | null, deliveries: number,
];

export function fromRaw(row: RawInstance): InstanceRecord {
  const record: InstanceRecord = {
    instanceId: row[13],
    kind: row[0] as InstanceRecord['kind'],
    name: row[1],
    executionId: row[2],
    status: row[3] as RuntimeStatus,
    createdAt: row[7],
    updatedAt: row[8],
    historyLength: row[9],
  };
  if (row[4] !== null) record.input = row[4];
  if (row[5] !== null) record.output = row[5];
  if (row[6] !== null) record.customStatus = row[6];
  if (row[10] !== null) record.parentInstanceId = row[10];
  if (row[11] !== null) record.tags = JSON.parse(row[11]) as Record<string, string>;
  if (row[12] !== null) record.entityState = row[12];
  if (row[14]) record.namespace = row[14];
  if (row[15] !== null) record.concurrency = JSON.parse(row[15]) as ConcurrencyGroup;
  if (row[16] !== null) record.version = row[16];
  return record;
}

/** The columns a commit may write, in RAW_COLUMNS order (so a raw row's first 13 values compare with these). */
export function commitValuesOf(record: InstanceRecord): Array<string | number | null> {
  return [
    record.kind, record.name, record.executionId, record.status, record.input ?? null, record.output ?? null, record.customStatus ?? null,
    record.createdAt, record.updatedAt, record.historyLength, record.parentInstanceId ?? null,
    record.tags === undefined ? null : JSON.stringify(record.tags), record.entityState ?? null,
  ];
}

export function toRecord(row: InstanceRow): InstanceRecord {
  const record: InstanceRecord = {
    instanceId: row.instance_id,
    kind: row.kind as InstanceRecord['kind'],
    name: row.name,
    executionId: row.execution_id,
    status: row.status as RuntimeStatus,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    historyLength: row.history_length,
  };
  if (row.input !== null) record.input = row.input;
  if (row.output !== null) record.output = row.output;
  if (row.custom_status !== null) record.customStatus = row.custom_status;
  if (row.parent_instance_id !== null) record.parentInstanceId = row.parent_instance_id;
  if (row.tags !== null) record.tags = JSON.parse(row.tags) as Record<string, string>;
  if (row.entity_state !== null) record.entityState = row.entity_state;
  if (row.namespace) record.namespace = row.namespace;
  if (row.concurrency !== null) record.concurrency = JSON.parse(row.concurrency) as ConcurrencyGroup;
  if (row.version !== null && row.version !== undefined) record.version = row.version;
  return record;
}

/** The record's columns as named parameters. */
export function recordParams(hub: string, instanceId: string, record: InstanceRecord) {
  return {
    hub,
    instance_id: instanceId,
    kind: record.kind,
    name: record.name,
    execution_id: record.executionId,
    status: record.status,
    input: record.input ?? null,
    output: record.output ?? null,
    custom_status: record.customStatus ?? null,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    history_length: record.historyLength,
    parent_instance_id: record.parentInstanceId ?? null,
    tags: record.tags === undefined ? null : JSON.stringify(record.tags),
    entity_state: record.entityState ?? null,
    namespace: record.namespace ?? '',
    concurrency: record.concurrency === undefined ? null : JSON.stringify(record.concurrency),
    version: record.version ?? null,
  };
}

export function toWorkItem(row: ActivityRow): ActivityWorkItem {
  const item: ActivityWorkItem = {
    id: String(row.seq),
    instanceId: row.instance_id,
    executionId: row.execution_id,
    taskScheduledId: row.task_scheduled_id,
    name: row.name,
    lockToken: row.lock_token ?? '',
    deliveries: row.deliveries,
  };
  if (row.input !== null) item.input = row.input;
  if (row.canceled) item.canceled = true;
  return item;
}

export const encodeEvent = (event: HistoryEvent): string => JSON.stringify(event);
export const decodeEvent = (text: string): HistoryEvent => JSON.parse(text) as HistoryEvent;

/** Store-assigned ids are decimal row ids; anything else names nothing. */
export function parseId(id: string): number | undefined {
  if (typeof id !== 'string' || !/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : undefined;
}
