import { defineProject } from 'vitest/config';
import { projectConfig } from '../vitest.shared.js';

const config = projectConfig(import.meta.url);

export default defineProject({
  ...config,
  test: {
    ...config.test,
    // Every snippet is a child process of its own; running them one by one keeps a 2-core machine responsive.
    testTimeout: 60_000,
  },
});
