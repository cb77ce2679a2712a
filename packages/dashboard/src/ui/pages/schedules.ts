/** Schedules: what they run, when next, paused or not; pause, resume, trigger and delete behind a confirmation. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, hubPath } from '../api.js';
import { ConfirmDialog, ErrorNote } from '../components.js';
import type { ConfirmRequest } from '../components.js';
import { time } from '../format.js';
import { useLoad } from '../hooks.js';
import { href } from '../router.js';

interface Schedule {
  scheduleId: string;
  orchestrator: string;
  spec: { kind?: string; every?: number; cron?: string; at?: string; [key: string]: unknown };
  paused: boolean;
  pauseReason?: string;
  nextRunAt?: string;
  ended: boolean;
  lastRuns: Array<{ instanceId: string; dueAt?: string }>;
}

function specText(spec: Schedule['spec']): string {
  if (spec.cron) return `cron ${spec.cron}`;
  if (spec.every) return `every ${spec.every} ms`;
  if (spec.at) return `once at ${time(spec.at)}`;
  return JSON.stringify(spec);
}

export function SchedulesPage({ hub, readOnly }: { hub: string; readOnly: boolean }) {
  const list = useLoad<{ schedules: Schedule[] }>(hub, () => api.get(hubPath(hub, 'schedules')), { liveMs: 3000 });
  const [confirming, setConfirming] = useState<ConfirmRequest | undefined>(undefined);
  const act = (s: Schedule, action: 'pause' | 'resume' | 'trigger' | 'delete') =>
    setConfirming({
      title: `${action[0]!.toUpperCase()}${action.slice(1)} schedule`,
      message: action === 'delete' ? `Delete schedule '${s.scheduleId}'? Runs it started are kept.` : `${action[0]!.toUpperCase()}${action.slice(1)} schedule '${s.scheduleId}'?`,
      confirmLabel: action[0]!.toUpperCase() + action.slice(1),
      danger: action === 'delete',
      ...(action === 'pause' && { fields: [{ name: 'reason', label: 'Reason (optional)' }] }),
      run: async (values) => {
        if (action === 'delete') await api.del(hubPath(hub, 'schedules', s.scheduleId));
        else await api.post(hubPath(hub, 'schedules', s.scheduleId, action), action === 'pause' ? { reason: values.reason } : {});
        await list.reload();
      },
    });
  return html`<div class="page schedules">
    <${ErrorNote} error=${list.error} />
    <table class="list" data-testid="schedules">
      <thead><tr><th>Schedule</th><th>Orchestrator</th><th>When</th><th>Next run</th><th>State</th><th>Last run</th><th></th></tr></thead>
      <tbody>
        ${(list.data?.schedules ?? []).map(
          (s) => html`<tr key=${s.scheduleId} data-schedule=${s.scheduleId}>
            <td>${s.scheduleId}</td><td>${s.orchestrator}</td><td>${specText(s.spec)}</td><td>${time(s.nextRunAt)}</td>
            <td>${s.ended ? 'ended' : s.paused ? `paused${s.pauseReason ? ` (${s.pauseReason})` : ''}` : 'active'}</td>
            <td>${s.lastRuns[0] ? html`<a href=${href(hub, 'instances', s.lastRuns[0].instanceId)}>${s.lastRuns[0].instanceId}</a>` : ''}</td>
            <td class="row-actions">
              ${s.paused
                ? html`<button type="button" disabled=${readOnly} onClick=${() => act(s, 'resume')}>Resume</button>`
                : html`<button type="button" disabled=${readOnly || s.ended} onClick=${() => act(s, 'pause')}>Pause</button>`}
              <button type="button" disabled=${readOnly} onClick=${() => act(s, 'trigger')}>Trigger</button>
              <button type="button" class="danger" disabled=${readOnly} onClick=${() => act(s, 'delete')}>Delete</button>
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${list.data && list.data.schedules.length === 0 ? html`<p class="muted">No schedules.</p>` : null}
    ${confirming ? html`<${ConfirmDialog} request=${confirming} onClose=${() => setConfirming(undefined)} />` : null}
  </div>`;
}
