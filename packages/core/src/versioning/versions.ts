/**
 * Runtime versions: how a runtime judges whether it may run an instance
 * stamped with some version. One rule, shared by the runtime (onMismatch
 * 'fail'), the memory and SQLite stores (they call it) and the Redis store
 * (its Lua port, tested against the same conformance clauses).
 *
 * - 'none': every instance.
 * - 'strict': exactly the runtime's version.
 * - 'currentOrOlder': the runtime's version or an older one; versions are
 *   compared as semver when both parse as semver (precedence rules:
 *   1.10.0 > 1.9.0, 1.0.0-rc.1 < 1.0.0, build metadata ignored), else they
 *   must be equal.
 * An instance without a version (written before versioning was turned on)
 * is `''`: it matches only a runtime whose version is `''`.
 */
import { InvalidArgumentError } from '../errors.js';

export type VersionMatchStrategy = 'none' | 'strict' | 'currentOrOlder';

export interface VersioningOptions {
  /** Which instances this runtime runs, by their version. @default 'none' */
  match: VersionMatchStrategy;
  /**
   * What happens to an instance this runtime must not run: 'leave' it for a
   * runtime that may (it is never leased here, so runtimes of several
   * versions share one store), or 'fail' it with VersionMismatchError.
   * @default 'leave'
   */
  onMismatch: 'leave' | 'fail';
}

/**
 * The filter a store applies where it leases work (`LockOptions.version`):
 * orchestration episodes by the instance's version, activity work items by
 * their instance's version. Entities are never filtered.
 */
export interface VersionMatch {
  match: 'strict' | 'currentOrOlder';
  /** The runtime's version. */
  version: string;
  /** Orchestrators whose definition names its own version (`defineOrchestrator(..., { version })`), judged by it instead. */
  byOrchestrator?: Record<string, string>;
  /** Orchestrators of the library itself (schedules): run whatever their instance's version. */
  exempt?: string[];
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;

interface Semver {
  core: [number, number, number];
  pre: string[];
}

function parseSemver(version: string): Semver | undefined {
  const m = SEMVER.exec(version);
  if (!m) return undefined;
  return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] === undefined ? [] : m[4].split('.') };
}

/** Semver precedence of two parsed versions: negative, 0 or positive. */
function compareParsed(a: Semver, b: Semver): number {
  for (let i = 0; i < 3; i += 1) if (a.core[i] !== b.core[i]) return a.core[i]! - b.core[i]!;
  // A pre-release is older than its release.
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i += 1) {
    const x = a.pre[i]!;
    const y = b.pre[i]!;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.pre.length - b.pre.length;
}

/**
 * Compare two versions: by semver precedence when both parse as semver,
 * else 0 when equal and undefined when they cannot be ordered.
 */
export function compareVersions(a: string, b: string): number | undefined {
  if (a === b) return 0;
  const pa = parseSemver(a);
  const pb = parseSemver(b);
  if (!pa || !pb) return undefined;
  return Math.sign(compareParsed(pa, pb));
}

/** Whether a runtime at `version` under `match` may run an instance stamped `instanceVersion`. */
export function versionAccepts(match: VersionMatchStrategy, version: string, instanceVersion: string | undefined): boolean {
  const theirs = instanceVersion ?? '';
  switch (match) {
    case 'none':
      return true;
    case 'strict':
      return theirs === version;
    case 'currentOrOlder': {
      const order = compareVersions(theirs, version);
      return order !== undefined && order <= 0;
    }
  }
}

/** The store's check for one instance (its orchestrator name and version) under a lock filter. */
export function matchesVersion(filter: VersionMatch, name: string, instanceVersion: string | undefined): boolean {
  if (filter.exempt?.includes(name)) return true;
  return versionAccepts(filter.match, filter.byOrchestrator?.[name] ?? filter.version, instanceVersion);
}

/** A version as given to createRuntime, defineOrchestrator or migrate: a non-empty string of at most 100 printable characters. */
export function validateVersion(version: unknown, what: string): string {
  if (typeof version !== 'string' || version.length === 0 || version.length > 100 || !/^[\x21-\x7e]+$/.test(version)) {
    throw new InvalidArgumentError(`${what} must be a non-empty string of at most 100 printable ASCII characters without spaces, got ${JSON.stringify(version)}`);
  }
  return version;
}

export function validateVersioning(versioning: unknown, version: string | undefined): VersioningOptions {
  if (versioning === undefined) return { match: 'none', onMismatch: 'leave' };
  if (typeof versioning !== 'object' || versioning === null) throw new InvalidArgumentError("versioning must be { match: 'none' | 'strict' | 'currentOrOlder', onMismatch: 'leave' | 'fail' }");
  const { match = 'none', onMismatch = 'leave' } = versioning as Partial<VersioningOptions>;
  if (match !== 'none' && match !== 'strict' && match !== 'currentOrOlder') throw new InvalidArgumentError(`versioning.match must be 'none', 'strict' or 'currentOrOlder', got ${String(match)}`);
  if (onMismatch !== 'leave' && onMismatch !== 'fail') throw new InvalidArgumentError(`versioning.onMismatch must be 'leave' or 'fail', got ${String(onMismatch)}`);
  if (match !== 'none' && version === undefined) throw new InvalidArgumentError(`versioning.match '${match}' needs the runtime's version (createRuntime({ version }))`);
  return { match, onMismatch };
}
