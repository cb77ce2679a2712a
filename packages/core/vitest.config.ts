import { defineProject } from 'vitest/config';
import { projectConfig } from '../../vitest.shared.js';

const config = projectConfig(import.meta.url);

export default defineProject({
  ...config,
  test: {
    ...config.test,
    // Type tests (test/*.test-d.ts) run with the others: tsc checks them, and a wrong
    // `expectTypeOf` or an unused `@ts-expect-error` fails the run.
    typecheck: { enabled: true, tsconfig: 'tsconfig.typecheck.json', include: ['test/**/*.test-d.ts'] },
  },
});
