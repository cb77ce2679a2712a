import { defineProject } from 'vitest/config';
import { projectConfig } from '../vitest.shared.js';

const config = projectConfig(import.meta.url);

export default defineProject({
  ...config,
  test: {
    ...config.test,
    // Finds (or installs) redis-server once, exactly as the Redis package's own suites do.
    globalSetup: ['../packages/redis/test/global-setup.ts'],
  },
});
