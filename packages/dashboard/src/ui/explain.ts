/** The "why is it waiting?" panel: each wait as a sentence, then the hints. */
import { html } from 'htm/preact';
import { duration, time } from './format.js';

export type WaitView =
  | { kind: 'activity'; name: string; sequence: number; since: string; attempt: number; state: string; leaseExpiresAt?: string; progress?: { percent: number; message?: string } }
  | { kind: 'timer'; sequence: number; fireAt: string }
  | { kind: 'event'; name: string; since: string; bufferedEvents: string[] }
  | { kind: 'subOrchestration'; instanceId: string; status: string }
  | { kind: 'entity'; entity: { name: string; key: string }; operation: string }
  | { kind: 'lock'; entities: Array<{ name: string; key: string }>; heldBy?: string }
  | { kind: 'queue'; group: string; position: number }
  | { kind: 'suspended'; reason?: string }
  | { kind: 'startAt'; at: string };

export interface ExplanationView {
  status: string;
  waitingFor: WaitView[];
  hints: string[];
}

function sentence(wait: WaitView, now: number): string {
  switch (wait.kind) {
    case 'activity':
      return `activity '${wait.name}' (step ${wait.sequence}${wait.attempt > 1 ? `, attempt ${wait.attempt}` : ''}) is ${wait.state}, scheduled ${duration(now - Date.parse(wait.since))} ago${wait.progress ? `, ${wait.progress.percent}%${wait.progress.message ? ` ${wait.progress.message}` : ''}` : ''}`;
    case 'timer':
      return `timer ${wait.sequence} fires at ${time(wait.fireAt)}`;
    case 'event':
      return `event '${wait.name}' (since ${time(wait.since)})${wait.bufferedEvents.length > 0 ? `; received but not awaited: ${wait.bufferedEvents.join(', ')}` : ''}`;
    case 'subOrchestration':
      return `sub-orchestration '${wait.instanceId}', which is ${wait.status}`;
    case 'entity':
      return `entity @${wait.entity.name}@${wait.entity.key}, operation '${wait.operation}'`;
    case 'lock':
      return `a lock on ${wait.entities.map((e) => `@${e.name}@${e.key}`).join(', ')}${wait.heldBy ? `, held by '${wait.heldBy}'` : ''}`;
    case 'queue':
      return `a slot in concurrency group '${wait.group}' (position ${wait.position})`;
    case 'suspended':
      return `a resume: it is suspended${wait.reason ? ` (${wait.reason})` : ''}`;
    case 'startAt':
      return `its start at ${time(wait.at)}`;
  }
}

export function ExplainPanel({ explanation, now }: { explanation: ExplanationView | undefined; now: number }) {
  if (!explanation) return html`<p class="muted">…</p>`;
  return html`<div class="explain" data-testid="explain">
    ${explanation.waitingFor.length === 0
      ? html`<p>Waiting for nothing.</p>`
      : html`<p>Waiting for:</p>
          <ul class="waits">
            ${explanation.waitingFor.map((w) => html`<li data-kind=${w.kind}>${sentence(w, now)}</li>`)}
          </ul>`}
    ${explanation.hints.length > 0 ? html`<ul class="hints">${explanation.hints.map((h) => html`<li>${h}</li>`)}</ul>` : null}
  </div>`;
}
