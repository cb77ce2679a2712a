/** Entities: name, key, last operation, state; filtered by name, paged by the store's tokens. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, hubPath } from '../api.js';
import { ErrorNote } from '../components.js';
import { json, time } from '../format.js';
import { useLoad } from '../hooks.js';

interface Page {
  entities: Array<{ entityId: { name: string; key: string }; lastOperationTime: string; state?: unknown }>;
  continuationToken?: string;
}

export function EntitiesPage({ hub }: { hub: string }) {
  const [name, setName] = useState('');
  const [tokens, setTokens] = useState<string[]>([]);
  const query = new URLSearchParams();
  if (name) query.set('name', name);
  const token = tokens[tokens.length - 1];
  if (token) query.set('continuationToken', token);
  const page = useLoad<Page>(`${hub}?${query}`, () => api.get(`${hubPath(hub, 'entities')}?${query}`), { liveMs: 3000 });
  return html`<div class="page entities">
    <form class="filters" onSubmit=${(e: Event) => {
      e.preventDefault();
      setTokens([]);
      setName(String(new FormData(e.target as HTMLFormElement).get('name') ?? '').trim());
    }}>
      <label><span>Entity name</span><input name="name" value=${name} /></label>
      <button type="submit" class="primary">Filter</button>
    </form>
    <${ErrorNote} error=${page.error} />
    <table class="list" data-testid="entities">
      <thead><tr><th>Name</th><th>Key</th><th>Last operation</th><th>State</th></tr></thead>
      <tbody>
        ${(page.data?.entities ?? []).map(
          (e) => html`<tr key=${`${e.entityId.name}@${e.entityId.key}`}><td>${e.entityId.name}</td><td>${e.entityId.key}</td><td>${time(e.lastOperationTime)}</td><td><pre class="json">${json(e.state)}</pre></td></tr>`,
        )}
      </tbody>
    </table>
    ${page.data && page.data.entities.length === 0 ? html`<p class="muted">No entities.</p>` : null}
    <div class="pager">
      <button type="button" disabled=${tokens.length === 0} onClick=${() => setTokens(tokens.slice(0, -1))}>Previous</button>
      <button type="button" disabled=${!page.data?.continuationToken} onClick=${() => setTokens([...tokens, page.data!.continuationToken!])}>Next</button>
    </div>
  </div>`;
}
