/**
 * The browser side of the JSON API: same-origin fetches under the base path
 * read from the page, with the session's CSRF token on every change.
 */
const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';

export const BASE = meta('reprise-base');
const CSRF = meta('csrf-token');

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (method !== 'GET') {
    init.headers = { ...init.headers, 'content-type': 'application/json', 'x-csrf-token': CSRF };
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(`${BASE}/api/${path}`, init);
  const value = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!response.ok) throw new ApiError(response.status, value.error?.code ?? 'HTTP_ERROR', value.error?.message ?? `HTTP ${response.status}`);
  return value as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body),
  del: <T>(path: string) => call<T>('DELETE', path),
};

/** `hubs/<hub>/<rest>` with each segment of `rest` encoded. */
export function hubPath(hub: string, ...segments: string[]): string {
  return ['hubs', hub, ...segments].map(encodeURIComponent).join('/');
}

export interface Session {
  principal: { id: string };
  readOnly: boolean;
  hubs: string[];
}
