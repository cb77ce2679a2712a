import { defineProject } from 'vitest/config';
import { projectConfig } from '../../vitest.shared.js';

const base = projectConfig(import.meta.url);

// The app serves the dashboard, whose browser bundle (dist/ui) is built before the tests.
export default defineProject({ ...base, test: { ...base.test, globalSetup: ['../../packages/dashboard/test/global-setup.ts'] } });
