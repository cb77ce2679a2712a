/**
 * Span trees for tests and examples: spans as any exporter hands them
 * (structural, so no OpenTelemetry package is needed here) arranged by
 * parent, rendered as indented names. Used to assert one trace with the
 * right parents, and to print a trace in the console.
 */

/** The fields of a finished span this needs (an SDK `ReadableSpan` has them). */
export interface SpanLike {
  name: string;
  spanContext(): { traceId: string; spanId: string };
  parentSpanContext?: { spanId: string } | undefined;
  /** SDK 1.x spelling. */
  parentSpanId?: string | undefined;
  /** [seconds, nanoseconds], as the SDK records it. */
  startTime?: readonly [number, number];
}

export interface SpanNode {
  name: string;
  spanId: string;
  traceId: string;
  children: SpanNode[];
}

function parentOf(span: SpanLike): string | undefined {
  return span.parentSpanContext?.spanId ?? span.parentSpanId;
}

function startOf(span: SpanLike): number {
  return span.startTime ? span.startTime[0] * 1e9 + span.startTime[1] : 0;
}

/** The spans as trees: roots are spans whose parent is not among them, children in start order. */
export function spanTrees(spans: readonly SpanLike[]): SpanNode[] {
  const sorted = [...spans].sort((a, b) => startOf(a) - startOf(b));
  const nodes = new Map<string, SpanNode>();
  for (const span of sorted) {
    const { traceId, spanId } = span.spanContext();
    nodes.set(spanId, { name: span.name, spanId, traceId, children: [] });
  }
  const roots: SpanNode[] = [];
  for (const span of sorted) {
    const node = nodes.get(span.spanContext().spanId)!;
    const parent = parentOf(span);
    const parentNode = parent === undefined ? undefined : nodes.get(parent);
    if (parentNode && parentNode !== node) parentNode.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** A tree as indented lines (`name` per span, two spaces per level). */
export function formatSpanTree(roots: readonly SpanNode[], indent = ''): string {
  return roots.map((root) => [`${indent}${root.name}`, ...(root.children.length > 0 ? [formatSpanTree(root.children, `${indent}  `)] : [])].join('\n')).join('\n');
}
