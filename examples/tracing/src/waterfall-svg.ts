/**
 * A trace as an SVG waterfall (the picture in docs/observability.md): one
 * row per span in tree order, indented names on the left, a bar from its
 * start to its end on a shared time axis, failed spans in red.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

const ROW = 22;
const NAME_WIDTH = 300;
const BAR_WIDTH = 560;

const toMs = (time: readonly [number, number]) => time[0] * 1e3 + time[1] / 1e6;
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function waterfallSvg(spans: readonly ReadableSpan[]): string {
  const sorted = [...spans].sort((a, b) => toMs(a.startTime) - toMs(b.startTime));
  const ids = new Set(sorted.map((s) => s.spanContext().spanId));
  const rows: { span: ReadableSpan; depth: number }[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of sorted) {
      const parentId = span.parentSpanContext?.spanId;
      const isChild = parent === undefined ? parentId === undefined || !ids.has(parentId) : parentId === parent;
      if (!isChild) continue;
      rows.push({ span, depth });
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  const start = Math.min(...sorted.map((s) => toMs(s.startTime)));
  const end = Math.max(...sorted.map((s) => toMs(s.endTime)));
  const scale = BAR_WIDTH / Math.max(1, end - start);
  const height = (rows.length + 2) * ROW;
  const body = rows.map(({ span, depth }, i) => {
    const y = (i + 1) * ROW;
    const x = NAME_WIDTH + (toMs(span.startTime) - start) * scale;
    const width = Math.max(2, (toMs(span.endTime) - toMs(span.startTime)) * scale);
    const failed = span.status.code === 2;
    const colour = failed ? '#d9534f' : span.name.startsWith('orchestration') ? '#5b7bd5' : span.name.startsWith('activity') ? '#4caf7a' : span.name === 'episode' ? '#9aa5b8' : '#e0a04a';
    const ms = toMs(span.endTime) - toMs(span.startTime);
    return [
      `<text x="${8 + depth * 14}" y="${y + 15}">${escape(span.name)}</text>`,
      `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${width.toFixed(1)}" height="${ROW - 8}" rx="2" fill="${colour}"/>`,
      `<text x="${(x + width + 4).toFixed(1)}" y="${y + 15}" class="ms">${ms.toFixed(1)} ms${failed ? ' · ERROR' : ''}</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${NAME_WIDTH + BAR_WIDTH + 110}" height="${height}" font-family="ui-monospace, Menlo, monospace" font-size="12">`,
    '<style>.ms{fill:#667;font-size:10px}</style>',
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="14" font-weight="bold">one trace: caller → start → orchestration → episodes, activities, timer, sub-orchestration</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
