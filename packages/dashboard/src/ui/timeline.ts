/**
 * The timeline: one row per step, a bar from scheduled to started (waiting,
 * pale) and from started to completed (running or done, colored by status),
 * on one time axis for the whole run. Retries are rows of their own (the
 * attempt is in the label); timers run to their fire time; event waits come
 * from the explanation (since when, until now). A failed step shows its error
 * under its bar. Positions are inline style properties set through the DOM
 * (allowed by the Content-Security-Policy, which forbids style attributes in markup).
 */
import { html } from 'htm/preact';
import { duration } from './format.js';

export interface StepView {
  sequence: number;
  kind: string;
  name: string;
  status: string;
  attempt: number;
  scheduledAt: string;
  startedAt?: string;
  completedAt?: string;
  progress?: { percent: number; message?: string };
  error?: { name: string; message: string };
}

export interface EventWait {
  name: string;
  since: string;
}

interface Row {
  key: string;
  label: string;
  kind: string;
  status: string;
  start: number;
  began?: number;
  end: number;
  open: boolean;
  error?: string;
  title: string;
}

export function Timeline({ steps, events, now }: { steps: StepView[]; events: EventWait[]; now: number }) {
  const rows: Row[] = steps.map((step) => {
    const start = Date.parse(step.scheduledAt);
    const open = step.completedAt === undefined;
    const fire = step.kind === 'timer' ? Date.parse(step.name) : NaN;
    const end = step.completedAt !== undefined ? Date.parse(step.completedAt) : now;
    const label = `${step.sequence} ${step.kind === 'timer' ? 'timer' : step.name}${step.attempt > 1 ? ` (attempt ${step.attempt})` : ''}`;
    return {
      key: `s${step.sequence}`,
      label,
      kind: step.kind,
      status: step.status,
      start,
      ...(step.startedAt !== undefined && { began: Date.parse(step.startedAt) }),
      end: Math.max(end, start),
      open,
      ...(step.error && { error: `${step.error.name}: ${step.error.message}` }),
      title: `${label}: ${step.status}${step.kind === 'timer' && Number.isFinite(fire) ? `, fires at ${new Date(fire).toISOString()}` : ''}, ${duration(Math.max(end, start) - start)}`,
    };
  });
  for (const wait of events) {
    const start = Date.parse(wait.since);
    rows.push({ key: `e${wait.name}`, label: `event ${wait.name}`, kind: 'event', status: 'Waiting', start, end: Math.max(now, start), open: true, title: `waiting for event '${wait.name}' for ${duration(now - start)}` });
  }
  if (rows.length === 0) return html`<p class="muted">No steps yet.</p>`;
  const t0 = Math.min(...rows.map((r) => r.start));
  const t1 = Math.max(...rows.map((r) => r.end), t0 + 1);
  const pct = (t: number) => ((t - t0) / (t1 - t0)) * 100;
  return html`<div class="timeline" data-testid="timeline">
    <div class="axis"><span>${new Date(t0).toISOString()}</span><span>${duration(t1 - t0)}</span></div>
    ${rows.map((row) => {
      const began = row.began ?? (row.kind === 'activity' ? undefined : row.start);
      const waitEnd = began ?? row.end;
      return html`<div class=${`trow kind-${row.kind}`} key=${row.key} data-status=${row.status} title=${row.title}>
        <div class="tlabel">${row.label}</div>
        <div class="track">
          ${waitEnd > row.start ? html`<div class="bar waiting" style=${{ left: `${pct(row.start)}%`, width: `${Math.max(0.5, pct(waitEnd) - pct(row.start))}%` }}></div>` : null}
          ${began !== undefined
            ? html`<div class=${`bar status-${row.status.toLowerCase()}${row.open ? ' open' : ''}`} style=${{ left: `${pct(began)}%`, width: `${Math.max(0.5, pct(row.end) - pct(began))}%` }}></div>`
            : null}
        </div>
        ${row.error ? html`<div class="terror">${row.error}</div>` : null}
      </div>`;
    })}
  </div>`;
}
