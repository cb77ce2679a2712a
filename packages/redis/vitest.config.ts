import { defineProject } from 'vitest/config';
import { projectConfig } from '../../vitest.shared.js';

const config = projectConfig(import.meta.url);

export default defineProject({
  ...config,
  test: {
    ...config.test,
    // Finds (or installs) redis-server once; each test file starts its own server.
    globalSetup: ['test/global-setup.ts'],
  },
});
