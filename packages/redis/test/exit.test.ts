/**
 * A process on Redis exits by itself after `await runtime.close()` (issue
 * 12, defect 6: after `runtime.stop()` the command and subscriber sockets
 * stayed open, also in a process that only used the client). The storage
 * closes the connections it made, never a caller's client.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

const binary = inject('redisServerBinary');
const FIXTURE = fileURLToPath(new URL('./fixtures/exits.ts', import.meta.url));

function run(mode: string, url: string): Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--conditions=@reprise/source', '--import', 'tsx', FIXTURE, mode],
      { env: { ...process.env, REDIS_URL: url }, timeout: 20_000, killSignal: 'SIGKILL' },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, killed: child.signalCode !== null, stdout, stderr }),
    );
  });
}

describe.skipIf(!binary)('redis: a process exits after runtime.close()', () => {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer({ binary });
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const [mode, output] of [
    ['client', 'Pending'],
    ['runtime', '42'],
    ['own-client', '42\nPONG'],
  ] as const) {
    it(`exits by itself (${mode})`, { timeout: 30_000 }, async () => {
      const result = await run(mode, server!.url);
      expect(result.killed, `still running after 20 s; stderr: ${result.stderr}`).toBe(false);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe(output);
    });
  }
});
