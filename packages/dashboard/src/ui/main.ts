/** The dashboard's single page: header with hub and page links, then the routed page. */
import { html } from 'htm/preact';
import { render } from 'preact';
import { api } from './api.js';
import type { Session } from './api.js';
import { ErrorNote } from './components.js';
import { useLoad } from './hooks.js';
import { EntitiesPage } from './pages/entities.js';
import { InstancePage } from './pages/instance.js';
import { InstancesPage } from './pages/instances.js';
import { SchedulesPage } from './pages/schedules.js';
import { href, useRoute } from './router.js';

function App() {
  const session = useLoad<Session>('session', () => api.get('session'));
  const route = useRoute();
  if (!session.data) return html`<main><${ErrorNote} error=${session.error} /></main>`;
  const { hubs, readOnly, principal } = session.data;
  const hub = route.hub !== undefined && hubs.includes(route.hub) ? route.hub : hubs[0]!;
  const nav = (page: string, label: string) => html`<a href=${href(hub, page)} class=${route.page === page || (page === 'instances' && route.page === 'instance') ? 'active' : ''}>${label}</a>`;
  return html`<div class="app">
    <header class="top">
      <a class="brand" href=${href(hub, 'instances')}>Reprise</a>
      <nav>${nav('instances', 'Instances')}${nav('entities', 'Entities')}${nav('schedules', 'Schedules')}</nav>
      ${hubs.length > 1
        ? html`<select aria-label="Task hub" onChange=${(e: Event) => (location.hash = href((e.target as HTMLSelectElement).value, route.page === 'instance' ? 'instances' : route.page))}>
            ${hubs.map((h) => html`<option value=${h} selected=${h === hub}>${h}</option>`)}
          </select>`
        : html`<span class="hub">${hub}</span>`}
      <span class="who">${principal.id}${readOnly ? ' · read-only' : ''}</span>
    </header>
    <main>
      ${route.page === 'instance' && route.id !== undefined
        ? html`<${InstancePage} key=${`${hub}/${route.id}`} hub=${hub} id=${route.id} readOnly=${readOnly} />`
        : route.page === 'entities'
          ? html`<${EntitiesPage} key=${hub} hub=${hub} />`
          : route.page === 'schedules'
            ? html`<${SchedulesPage} key=${hub} hub=${hub} readOnly=${readOnly} />`
            : html`<${InstancesPage} key=${hub} hub=${hub} query=${route.query} />`}
    </main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app')!);
