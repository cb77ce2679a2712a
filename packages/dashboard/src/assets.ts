/**
 * The browser app as built into dist/ui (scripts/build-ui.mjs): a script and
 * a stylesheet named by content hash (cached for a year, immutable) and the
 * page that loads them (never cached: it carries the session's CSRF token).
 * The page has no inline script or style, so the Content-Security-Policy can
 * forbid both.
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DashboardError } from './errors.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every dashboard response carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

interface Bundle {
  script: string;
  styles: string;
  files: Map<string, { body: Uint8Array; type: string }>;
}

let loaded: Bundle | undefined;

/** dist/ui next to the built module (dist/index.js), or the package's dist/ui when running from src/. */
function bundleDir(): string {
  for (const relative of ['./ui/', '../dist/ui/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}manifest.json`)) return dir;
  }
  throw new Error("@reprise/dashboard: the browser app's bundle (dist/ui) is missing; build the package (pnpm build)");
}

export function bundle(): Bundle {
  if (loaded) return loaded;
  const dir = bundleDir();
  const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as { script: string; styles: string };
  const files = new Map<string, { body: Uint8Array; type: string }>([
    [manifest.script, { body: readFileSync(`${dir}${manifest.script}`), type: 'text/javascript; charset=utf-8' }],
    [manifest.styles, { body: readFileSync(`${dir}${manifest.styles}`), type: 'text/css; charset=utf-8' }],
  ]);
  loaded = { script: manifest.script, styles: manifest.styles, files };
  return loaded;
}

export function assetResponse(name: string, method: string): Response {
  const file = bundle().files.get(name);
  if (!file) throw new DashboardError(404, 'NOT_FOUND', 'no such asset');
  return new Response(method === 'HEAD' ? null : file.body, {
    headers: { ...SECURITY_HEADERS, 'content-type': file.type, 'cache-control': 'public, max-age=31536000, immutable', 'content-length': String(file.body.byteLength) },
  });
}

export function pageResponse(basePath: string, csrfToken: string, headers: Record<string, string>): Response {
  const { script, styles } = bundle();
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reprise dashboard</title>
<meta name="reprise-base" content="${escapeAttribute(basePath)}">
<meta name="csrf-token" content="${escapeAttribute(csrfToken)}">
<link rel="stylesheet" href="${escapeAttribute(`${basePath}/assets/${styles}`)}">
<script defer src="${escapeAttribute(`${basePath}/assets/${script}`)}"></script>
</head>
<body><div id="app"></div><noscript>The Reprise dashboard needs JavaScript.</noscript></body>
</html>
`;
  return new Response(html, { headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers } });
}

/** A plain page for a refusal of the page itself (401...), text only. */
export function errorPage(status: number, message: string, headers: Readonly<Record<string, string>>): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reprise dashboard: ${status}</title></head>
<body><h1>${status}</h1><p>${escapeText(message)}</p></body></html>
`;
  return new Response(html, { status, headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers } });
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
