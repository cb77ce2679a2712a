import { defineProject } from 'vitest/config';
import { projectConfig } from '../../vitest.shared.js';

const config = projectConfig(import.meta.url);

export default defineProject({
  ...config,
  test: {
    ...config.test,
    // Finds (or installs) redis-server once, for the suites that run a document over Redis; each file starts its own server.
    globalSetup: ['../redis/test/global-setup.ts'],
  },
});
