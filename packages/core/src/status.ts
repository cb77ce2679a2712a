export const RUNTIME_STATUSES = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
] as const;

export type RuntimeStatus = (typeof RUNTIME_STATUSES)[number];

const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Canceled', 'Terminated']);

/** Terminal instances never change again (except by rewind, purge or restart under the same id). */
export function isTerminal(status: RuntimeStatus): boolean {
  return TERMINAL.has(status);
}

export function isRuntimeStatus(value: unknown): value is RuntimeStatus {
  return typeof value === 'string' && (RUNTIME_STATUSES as readonly string[]).includes(value);
}
