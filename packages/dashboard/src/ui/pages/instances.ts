/**
 * The instance list: counts by status (each a filter), filters by status,
 * orchestrator, namespace, creation time and id prefix (kept in the URL),
 * keyset pages (the store's continuation tokens, so page 1,000 costs what
 * page 1 costs), refreshed every few seconds while the tab is visible.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, hubPath } from '../api.js';
import { ErrorNote, StatusBadge } from '../components.js';
import { time } from '../format.js';
import { useLoad } from '../hooks.js';
import { href } from '../router.js';

const STATUSES = ['Pending', 'Running', 'Suspended', 'Completed', 'Failed', 'Terminated', 'Canceled', 'ContinuedAsNew'];
const FILTERS = ['status', 'orchestrator', 'namespace', 'createdFrom', 'createdTo', 'prefix'] as const;

interface Page {
  instances: Array<{ instanceId: string; name: string; runtimeStatus: string; createdTime: string; lastUpdatedTime: string; namespace: string; customStatus?: unknown }>;
  continuationToken?: string;
}

export function InstancesPage({ hub, query }: { hub: string; query: URLSearchParams }) {
  const filters = new URLSearchParams();
  for (const name of FILTERS) {
    const value = query.get(name);
    if (value) filters.set(name, value);
  }
  const [tokens, setTokens] = useState<string[]>([]);
  const token = tokens[tokens.length - 1];
  const listQuery = new URLSearchParams(filters);
  if (token) listQuery.set('continuationToken', token);
  const key = `${hub}?${listQuery}`;
  const page = useLoad<Page>(key, () => api.get(`${hubPath(hub, 'instances')}?${listQuery}`), { liveMs: 2000 });
  const countQuery = new URLSearchParams(filters);
  countQuery.delete('status');
  countQuery.delete('prefix');
  const counts = useLoad<Record<string, number>>(`${hub}?${countQuery}`, () => api.get(`${hubPath(hub, 'counts')}?${countQuery}`), { liveMs: 2000 });
  const selected = new Set((filters.get('status') ?? '').split(',').filter((s) => s !== ''));

  const go = (next: URLSearchParams) => {
    setTokens([]);
    location.hash = href(hub, 'instances', undefined, next);
  };
  const toggleStatus = (status: string) => {
    const next = new URLSearchParams(filters);
    const set = new Set(selected);
    if (set.has(status)) set.delete(status);
    else set.add(status);
    if (set.size === 0) next.delete('status');
    else next.set('status', [...set].join(','));
    go(next);
  };
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const next = new URLSearchParams();
    if (filters.get('status')) next.set('status', filters.get('status')!);
    for (const name of ['orchestrator', 'namespace', 'prefix'] as const) {
      const value = String(form.get(name) ?? '').trim();
      if (value) next.set(name, value);
    }
    for (const name of ['createdFrom', 'createdTo'] as const) {
      const value = String(form.get(name) ?? '');
      if (value) next.set(name, new Date(value).toISOString());
    }
    go(next);
  };
  const local = (iso: string | null) => {
    if (!iso) return '';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  };

  return html`<div class="page instances">
    <div class="counts" data-testid="counts">
      ${STATUSES.map(
        (status) => html`<button type="button" class=${`count${selected.has(status) ? ' selected' : ''}`} data-status=${status} aria-pressed=${selected.has(status)} onClick=${() => toggleStatus(status)}>
          <${StatusBadge} status=${status} /><span class="n">${counts.data?.[status] ?? '…'}</span>
        </button>`,
      )}
    </div>
    <form class="filters" onSubmit=${submit} key=${key}>
      <label><span>Orchestrator</span><input name="orchestrator" value=${filters.get('orchestrator') ?? ''} placeholder="exact name" /></label>
      <label><span>Namespace</span><input name="namespace" value=${filters.get('namespace') ?? ''} placeholder="every namespace" /></label>
      <label><span>Id prefix</span><input name="prefix" value=${filters.get('prefix') ?? ''} /></label>
      <label><span>Created from</span><input type="datetime-local" name="createdFrom" value=${local(filters.get('createdFrom'))} /></label>
      <label><span>Created to</span><input type="datetime-local" name="createdTo" value=${local(filters.get('createdTo'))} /></label>
      <button type="submit" class="primary">Filter</button>
      <button type="button" onClick=${() => go(new URLSearchParams())}>Clear</button>
    </form>
    <${ErrorNote} error=${page.error ?? counts.error} />
    <table class="list" data-testid="instances">
      <thead><tr><th>Instance</th><th>Orchestrator</th><th>Status</th><th>Namespace</th><th>Created</th><th>Updated</th></tr></thead>
      <tbody>
        ${(page.data?.instances ?? []).map(
          (i) => html`<tr key=${i.instanceId} data-instance=${i.instanceId}>
            <td><a href=${href(hub, 'instances', i.instanceId)}>${i.instanceId}</a></td>
            <td>${i.name}</td>
            <td><${StatusBadge} status=${i.runtimeStatus} /></td>
            <td>${i.namespace}</td>
            <td>${time(i.createdTime)}</td>
            <td>${time(i.lastUpdatedTime)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${page.data && page.data.instances.length === 0 ? html`<p class="muted">No instances match.</p>` : null}
    <div class="pager">
      <button type="button" disabled=${tokens.length === 0} onClick=${() => setTokens(tokens.slice(0, -1))}>Previous</button>
      <span>page ${tokens.length + 1}</span>
      <button type="button" disabled=${!page.data?.continuationToken} onClick=${() => setTokens([...tokens, page.data!.continuationToken!])}>Next</button>
    </div>
  </div>`;
}
