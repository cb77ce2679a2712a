/**
 * Every TypeScript snippet of the READMEs (root, packages/*, examples/*),
 * run verbatim as a script with tsx in a child process, exits 0 by itself
 * within TIME_LIMIT_MS (issue 12, defect 6: the Redis README's example never
 * exited). Blocks marked `<!-- fragment: <why> -->` are skipped (see
 * ../README.md). Each snippet runs in an empty temporary directory (files it
 * writes, such as an SQLite database, land there) with REDIS_URL pointing at
 * a redis-server started for this test.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRedisServer, startRedisServer } from '../../packages/redis/test/redis-server.js';
import type { RedisServer } from '../../packages/redis/test/redis-server.js';
import { extractSnippets } from './snippets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
// Under docs-tests/, so the snippets' imports resolve to the workspace packages.
const SCRIPTS = fileURLToPath(new URL('../.tmp/snippets/', import.meta.url));
const TIME_LIMIT_MS = 30_000;

function readmes(): string[] {
  const found = ['README.md'];
  for (const dir of ['packages', 'examples']) {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      if (existsSync(join(ROOT, dir, name, 'README.md'))) found.push(`${dir}/${name}/README.md`);
    }
  }
  return found;
}

const snippets = readmes().flatMap((file) => extractSnippets(readFileSync(join(ROOT, file), 'utf8'), file));
const runnable = snippets.filter((s) => s.fragment === undefined);

function runScript(path: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; timedOut: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      TSX,
      ['--conditions=@reprise/source', path],
      { cwd, env: { ...process.env, ...env }, timeout: TIME_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, timedOut: child.signalCode === 'SIGKILL', output: `${stdout}${stderr}` }),
    );
  });
}

describe('README snippets run as scripts and exit by themselves', () => {
  let server: RedisServer | undefined;
  let redisUrl = '';

  beforeAll(async () => {
    const { binary, reason } = ensureRedisServer();
    // Without redis-server the Redis snippets fail below, naming the reason.
    if (binary) server = await startRedisServer({ binary });
    redisUrl = server?.url ?? `redis-unavailable://${reason ?? 'no redis-server'}`;
    rmSync(SCRIPTS, { recursive: true, force: true });
    mkdirSync(SCRIPTS, { recursive: true });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(SCRIPTS, { recursive: true, force: true });
  });

  it('finds the snippets, and every fragment says why it does not run alone', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(6);
    for (const s of snippets) if (s.fragment !== undefined) expect(s.fragment, s.where).not.toBe('');
  });

  for (const snippet of runnable) {
    it(snippet.where, async () => {
      const script = join(SCRIPTS, `${snippet.where.replace(/[^A-Za-z0-9]+/g, '-')}.ts`);
      writeFileSync(script, snippet.code);
      const cwd = mkdtempSync(join(tmpdir(), 'reprise-snippet-'));
      try {
        const started = Date.now();
        const result = await runScript(script, cwd, { REDIS_URL: redisUrl });
        const summary = `${snippet.where} (${relative(ROOT, script)}) after ${Date.now() - started} ms:\n${result.output}`;
        expect(result.timedOut, `did not exit within ${TIME_LIMIT_MS} ms: ${summary}`).toBe(false);
        expect(result.code, `exited with ${result.code}: ${summary}`).toBe(0);
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  }
});
