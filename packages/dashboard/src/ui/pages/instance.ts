/**
 * One instance: status, input, output, custom status; the explain panel; the
 * timeline and the steps table with live progress; raw history and logs on
 * demand; and the actions, each behind a confirmation (all disabled when the
 * dashboard is read-only). It reloads every second while the instance runs
 * and the tab is visible.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, hubPath } from '../api.js';
import { ConfirmDialog, ErrorNote, JsonBlock, Section, StatusBadge } from '../components.js';
import type { ConfirmRequest } from '../components.js';
import { ExplainPanel } from '../explain.js';
import type { ExplanationView } from '../explain.js';
import { TERMINAL, json, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { href } from '../router.js';
import { Timeline } from '../timeline.js';
import type { StepView } from '../timeline.js';

interface Detail {
  status: {
    instanceId: string;
    name: string;
    runtimeStatus: string;
    createdTime: string;
    lastUpdatedTime: string;
    namespace: string;
    input?: unknown;
    output?: unknown;
    customStatus?: unknown;
    parentInstanceId?: string;
    tags?: Record<string, string>;
    scheduleId?: string;
    queue?: { group: string; position: number };
  };
  steps: Array<StepView & { input?: unknown; output?: unknown; instanceId?: string }>;
  explanation?: ExplanationView;
}

type Action = 'terminate' | 'suspend' | 'resume' | 'cancel' | 'rewind' | 'restart' | 'purge' | 'raise-event';

export function InstancePage({ hub, id, readOnly }: { hub: string; id: string; readOnly: boolean }) {
  const detail = useLoad<Detail>(`${hub}/${id}`, () => api.get(hubPath(hub, 'instances', id)), { liveMs: 1000, live: (d) => !d || !TERMINAL.has(d.status.runtimeStatus) });
  const [confirming, setConfirming] = useState<ConfirmRequest | undefined>(undefined);
  const [panel, setPanel] = useState<'none' | 'history' | 'logs'>('none');
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const data = detail.data;
  const now = Date.now();

  if (detail.error && !data) return html`<div class="page"><${ErrorNote} error=${detail.error} /></div>`;
  if (!data) return html`<div class="page"><p class="muted">Loading…</p></div>`;
  const status = data.status.runtimeStatus;
  const terminal = TERMINAL.has(status);

  const act = (action: Action, request: Omit<ConfirmRequest, 'run'>, body: (values: Record<string, string>) => unknown = (v) => ({ reason: v.reason })) =>
    setConfirming({
      ...request,
      run: async (values) => {
        const result = await api.post<{ instanceId?: string; instancesDeleted?: number }>(hubPath(hub, 'instances', id, action), body(values));
        if (action === 'restart' && result.instanceId) {
          location.hash = href(hub, 'instances', result.instanceId);
          return;
        }
        if (action === 'purge') {
          location.hash = href(hub, 'instances');
          return;
        }
        setNotice(`${request.confirmLabel}: done`);
        await detail.reload();
      },
    });
  const reason = [{ name: 'reason', label: 'Reason (optional)' }];
  const buttons: Array<{ label: string; enabled: boolean; open: () => void }> = [
    { label: 'Raise event', enabled: !terminal, open: () => act('raise-event', { title: 'Raise an event', message: `Send an event to '${id}'.`, confirmLabel: 'Raise event', fields: [{ name: 'name', label: 'Event name' }, { name: 'data', label: 'Data (JSON, optional)', multiline: true, placeholder: '{"approved": true}' }] }, (v) => ({ name: v.name ?? '', ...(v.data?.trim() ? { data: parseJson(v.data) } : {}) })) },
    { label: 'Suspend', enabled: status === 'Running' || status === 'Pending', open: () => act('suspend', { title: 'Suspend', message: `Suspend '${id}'? It keeps its state and runs again when resumed.`, confirmLabel: 'Suspend', fields: reason }) },
    { label: 'Resume', enabled: status === 'Suspended', open: () => act('resume', { title: 'Resume', message: `Resume '${id}'?`, confirmLabel: 'Resume', fields: reason }) },
    { label: 'Request cancel', enabled: !terminal, open: () => act('cancel', { title: 'Request cancellation', message: `Ask '${id}' to cancel? Its code sees the request and may compensate.`, confirmLabel: 'Request cancel', fields: reason }) },
    { label: 'Terminate', enabled: !terminal, open: () => act('terminate', { title: 'Terminate', message: `Terminate '${id}' now? It stops without running any more code.`, confirmLabel: 'Terminate', fields: reason, danger: true }) },
    { label: 'Rewind', enabled: status === 'Failed', open: () => act('rewind', { title: 'Rewind', message: `Rewind '${id}' to before its failure and run the failed steps again?`, confirmLabel: 'Rewind', fields: reason }) },
    { label: 'Restart', enabled: terminal, open: () => act('restart', { title: 'Restart', message: `Start a new instance of '${data.status.name}' with the same input?`, confirmLabel: 'Restart' }) },
    { label: 'Purge', enabled: terminal, open: () => act('purge', { title: 'Purge', message: `Delete '${id}' with its history and logs? This cannot be undone.`, confirmLabel: 'Purge', danger: true }) },
  ];
  const events = (data.explanation?.waitingFor ?? []).filter((w): w is Extract<typeof w, { kind: 'event' }> => w.kind === 'event');

  return html`<div class="page instance">
    <header class="instance-head">
      <h1><span class="muted">${data.status.name}</span> ${id}</h1>
      <${StatusBadge} status=${status} />
    </header>
    <div class="actions" data-testid="actions">
      ${buttons.map((b) => html`<button type="button" disabled=${readOnly || !b.enabled} title=${readOnly ? 'this dashboard is read-only' : ''} onClick=${b.open}>${b.label}</button>`)}
    </div>
    ${notice ? html`<p class="notice">${notice}</p>` : null}
    <${ErrorNote} error=${detail.error} />
    <div class="grid">
      <${Section} title="Overview">
        <dl class="facts">
          <dt>Created</dt><dd>${time(data.status.createdTime)}</dd>
          <dt>Updated</dt><dd>${time(data.status.lastUpdatedTime)}</dd>
          <dt>Namespace</dt><dd>${data.status.namespace || '(default)'}</dd>
          ${data.status.parentInstanceId ? html`<dt>Parent</dt><dd><a href=${href(hub, 'instances', data.status.parentInstanceId)}>${data.status.parentInstanceId}</a></dd>` : null}
          ${data.status.scheduleId ? html`<dt>Schedule</dt><dd>${data.status.scheduleId}</dd>` : null}
          ${data.status.tags ? html`<dt>Tags</dt><dd>${Object.entries(data.status.tags).map(([k, v]) => `${k}=${v}`).join(', ')}</dd>` : null}
        </dl>
        <h3>Input</h3><${JsonBlock} value=${data.status.input} label="input" />
        <h3>Output</h3><${JsonBlock} value=${data.status.output} label="output" />
        <h3>Custom status</h3><${JsonBlock} value=${data.status.customStatus ?? undefined} label="custom status" />
      <//>
      <${Section} title="Why is it waiting?" id="explain">
        <${ExplainPanel} explanation=${data.explanation} now=${now} />
      <//>
    </div>
    <${Section} title="Timeline" id="timeline">
      <${Timeline} steps=${data.steps} events=${events} now=${now} />
    <//>
    <${Section} title="Steps">
      <table class="list steps" data-testid="steps">
        <thead><tr><th>#</th><th>Kind</th><th>Name</th><th>Status</th><th>Attempt</th><th>Scheduled</th><th>Started</th><th>Completed</th><th>Progress</th></tr></thead>
        <tbody>
          ${data.steps.map(
            (s) => html`<tr key=${s.sequence} data-sequence=${s.sequence}>
              <td>${s.sequence}</td><td>${s.kind}</td>
              <td>${s.instanceId ? html`<a href=${href(hub, 'instances', s.instanceId)}>${s.name}</a>` : s.name}</td>
              <td><${StatusBadge} status=${s.status} />${s.error ? html`<div class="error">${s.error.name}: ${s.error.message}</div>` : null}</td>
              <td>${s.attempt}</td><td>${time(s.scheduledAt)}</td><td>${time(s.startedAt)}</td><td>${time(s.completedAt)}</td>
              <td>${s.progress ? html`<div class="progress" title=${s.progress.message ?? ''}><div class="fill" style=${{ width: `${Math.min(100, Math.max(0, s.progress.percent))}%` }}></div></div><span class="pmsg">${s.progress.percent}% ${s.progress.message ?? ''}</span>` : null}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    <//>
    <div class="tabs">
      <button type="button" aria-pressed=${panel === 'history'} onClick=${() => setPanel(panel === 'history' ? 'none' : 'history')}>History</button>
      <button type="button" aria-pressed=${panel === 'logs'} onClick=${() => setPanel(panel === 'logs' ? 'none' : 'logs')}>Logs</button>
    </div>
    ${panel === 'history' ? html`<${History} hub=${hub} id=${id} version=${data.status.lastUpdatedTime} />` : null}
    ${panel === 'logs' ? html`<${Logs} hub=${hub} id=${id} version=${data.status.lastUpdatedTime} />` : null}
    ${confirming ? html`<${ConfirmDialog} request=${confirming} onClose=${() => setConfirming(undefined)} />` : null}
  </div>`;
}

function History({ hub, id, version }: { hub: string; id: string; version: string }) {
  const history = useLoad<{ history: Array<Record<string, unknown> & { EventType: string; Timestamp: string }> }>(`${hub}/${id}/history/${version}`, () => api.get(hubPath(hub, 'instances', id, 'history')));
  return html`<${Section} title="History" id="history">
    <${ErrorNote} error=${history.error} />
    <table class="list history" data-testid="history">
      <thead><tr><th>#</th><th>Event</th><th>Time</th><th>Details</th></tr></thead>
      <tbody>
        ${(history.data?.history ?? []).map((e, i) => {
          const { EventType, Timestamp, ...rest } = e;
          return html`<tr key=${i}><td>${i}</td><td>${EventType}</td><td>${time(Timestamp)}</td><td><pre class="json">${json(rest)}</pre></td></tr>`;
        })}
      </tbody>
    </table>
  <//>`;
}

function Logs({ hub, id, version }: { hub: string; id: string; version: string }) {
  const logs = useLoad<{ logs: Array<{ time: number; level: string; message: string; sequence?: number }> }>(`${hub}/${id}/logs/${version}`, () => api.get(hubPath(hub, 'instances', id, 'logs')));
  return html`<${Section} title="Logs" id="logs">
    <${ErrorNote} error=${logs.error} />
    ${logs.data && logs.data.logs.length === 0 ? html`<p class="muted">No log lines.</p>` : null}
    <ol class="logs">
      ${(logs.data?.logs ?? []).map((l) => html`<li class=${`log-${l.level}`}><span class="muted">${time(l.time)}</span> <b>${l.level}</b>${l.sequence !== undefined ? ` [step ${l.sequence}]` : ''} ${l.message}</li>`)}
    </ol>
  <//>`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('the data is not valid JSON');
  }
}
