/**
 * The client's side of tracing: a `start <name>` span in the caller's
 * context whose child, the instance's orchestration span, is allocated and
 * stored with the instance; `raiseEvent`/`signalEntity` spans whose context
 * travels in the message. Inactive without `@opentelemetry/api`.
 */
import type { TraceContextCarrier } from './telemetry-options.js';

export interface SpanHandle {
  /** Ends the span, recording `error` when the call failed. */
  end(error?: unknown): void;
}

export interface ClientTelemetry {
  /** Before a start is stored: the trace tags to store with it, and its span. */
  startInstance(name: string, instanceId: string, carrier: TraceContextCarrier | undefined): (SpanHandle & { tags: Record<string, string> | undefined }) | undefined;
  /** Before a message is sent: its span, and the traceparent the message carries. */
  sendMessage(spanName: string, instanceId: string, carrier: TraceContextCarrier | undefined): (SpanHandle & { traceparent: string | undefined }) | undefined;
  /** A start a concurrency group queued (at `position`) or refused. */
  admission(group: string, outcome: { position: number } | { refused: 'limit' | 'queueFull' }): void;
}
