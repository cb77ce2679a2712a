/**
 * Helpers every adapter may use for the query side of the contract, so all
 * of them page, filter and order the same way: by `createdAt`, then
 * `instanceId`, with an opaque keyset continuation token.
 *
 * `pageSize` and `continuationToken` reach the store as callers wrote them
 * (an HTTP query string), so `pageSizeOf` and `decodeContinuationToken` are
 * where they are checked: every adapter pages through them.
 */
import { InvalidArgumentError } from '../errors.js';
import type { InstancePage, InstanceQuery, InstanceRecord } from './types.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface PageCursor {
  createdAt: number;
  instanceId: string;
}

export function encodeContinuationToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.instanceId])).toString('base64url');
}

/** Throws InvalidArgumentError for a token this library did not produce. */
export function decodeContinuationToken(token: string): PageCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && Number.isFinite(parsed[0]) && typeof parsed[1] === 'string') {
      return { createdAt: parsed[0] as number, instanceId: parsed[1] };
    }
  } catch {
    // fall through to the typed error
  }
  throw new InvalidArgumentError('continuationToken is not a token this API returned');
}

/** Where the query continues from: after its token's cursor, or from the start. */
export function cursorOf(query: InstanceQuery): PageCursor | undefined {
  return query.continuationToken === undefined ? undefined : decodeContinuationToken(query.continuationToken);
}

export function pageSizeOf(query: InstanceQuery): number {
  const size = query.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`pageSize must be a positive integer, got ${size}`);
  return Math.min(size, MAX_PAGE_SIZE);
}

/** True when `record` sorts after the cursor. */
export function isAfterCursor(record: Pick<InstanceRecord, 'createdAt' | 'instanceId'>, cursor: PageCursor): boolean {
  return record.createdAt > cursor.createdAt || (record.createdAt === cursor.createdAt && record.instanceId > cursor.instanceId);
}

export function compareInstances(a: InstanceRecord, b: InstanceRecord): number {
  return a.createdAt - b.createdAt || (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0);
}

/**
 * The page of `size` records from `sorted` (in page order, already past the
 * cursor; the first `size + 1` suffice), with a continuation token when more
 * follow.
 */
export function pageOf(sorted: readonly InstanceRecord[], size: number): InstancePage {
  const instances = sorted.slice(0, size);
  const last = instances[instances.length - 1];
  return sorted.length > size && last ? { instances, continuationToken: encodeContinuationToken(last) } : { instances };
}

/** True when `record` belongs to the query's page sequence past `cursor` (for stores that filter in process). */
export function matchesPage(record: InstanceRecord, query: InstanceQuery, cursor: PageCursor | undefined): boolean {
  return matchesQuery(record, query) && (!cursor || isAfterCursor(record, cursor));
}

/** The filter part of a query, as a predicate (for stores that filter in process). */
export function matchesQuery(record: InstanceRecord, query: Omit<InstanceQuery, 'pageSize' | 'continuationToken'>): boolean {
  return (
    (query.kind === undefined || record.kind === query.kind) &&
    (query.namespace === undefined || (record.namespace ?? '') === query.namespace) &&
    (query.runtimeStatus === undefined || query.runtimeStatus.length === 0 || query.runtimeStatus.includes(record.status)) &&
    (query.createdFrom === undefined || record.createdAt >= query.createdFrom) &&
    (query.createdTo === undefined || record.createdAt <= query.createdTo) &&
    (query.updatedFrom === undefined || record.updatedAt >= query.updatedFrom) &&
    (query.updatedTo === undefined || record.updatedAt <= query.updatedTo) &&
    (query.instanceIdPrefix === undefined || record.instanceId.startsWith(query.instanceIdPrefix)) &&
    (query.name === undefined || record.name === query.name) &&
    (query.version === undefined || (record.version ?? '') === query.version)
  );
}
