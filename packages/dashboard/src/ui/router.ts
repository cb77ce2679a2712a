/**
 * Hash routes, so the server serves one page: `#/<hub>/instances`,
 * `#/<hub>/instances/<id>`, `#/<hub>/entities`, `#/<hub>/schedules`, each
 * segment percent-encoded; a route's query holds the list's filters.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  hub: string | undefined;
  page: 'instances' | 'instance' | 'entities' | 'schedules';
  id?: string;
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const segments = path.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const query = new URLSearchParams(search);
  const [hub, page, id] = segments;
  if (page === 'instances' && id !== undefined) return { hub, page: 'instance', id, query };
  if (page === 'entities' || page === 'schedules') return { hub, page, query };
  return { hub, page: 'instances', query };
}

export function href(hub: string, page: string, id?: string, query?: URLSearchParams): string {
  const path = [hub, page, ...(id === undefined ? [] : [id])].map(encodeURIComponent).join('/');
  const search = query && [...query].length > 0 ? `?${query}` : '';
  return `#/${path}${search}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
