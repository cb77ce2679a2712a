import { defineProject } from 'vitest/config';
import { projectConfig } from '../../vitest.shared.js';

const base = projectConfig(import.meta.url);

// The browser app is bundled once before the tests (the handler serves dist/ui, as in a published package).
export default defineProject({ ...base, test: { ...base.test, globalSetup: ['./test/global-setup.ts'] } });
