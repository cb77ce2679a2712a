/**
 * Makes sure redis-server exists before any Redis suite runs (installing
 * Debian's package when it can) and tells the test files where it is.
 * Without it the Redis suites are skipped loudly; under CI=true that is a
 * failure instead.
 */
import type { TestProject } from 'vitest/node';
import { ensureRedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of redis-server, or '' when the Redis suites must be skipped. */
    redisServerBinary: string;
  }
}

export default function setup(project: TestProject): void {
  const { binary, reason } = ensureRedisServer();
  if (!binary) {
    const bar = '!'.repeat(78);
    const message = `\n${bar}\n@reprise/redis: SKIPPING every Redis suite: the 'redis-server' binary is missing.\n${reason}\nInstall it (Debian/Ubuntu: apt-get install redis-server) to run them.\n${bar}\n`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(message);
  }
  project.provide('redisServerBinary', binary ?? '');
}
