/** One log line from a message and its arguments, as `ctx.log` and `actx.log` write it. */
export function logLine(message: string, args: readonly unknown[]): string {
  return args.length === 0 ? String(message) : [message, ...args.map(formatArg)].join(' ');
}

function formatArg(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}
