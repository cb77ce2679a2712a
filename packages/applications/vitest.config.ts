import { defineProject } from 'vitest/config';
import { projectConfig } from '../../vitest.shared.js';

const config = projectConfig(import.meta.url);

export default defineProject({
  ...config,
  test: {
    ...config.test,
    // The Redis runs need redis-server: found (or installed) once, as in @reprise/redis; each file starts its own.
    globalSetup: ['../redis/test/global-setup.ts'],
  },
});
