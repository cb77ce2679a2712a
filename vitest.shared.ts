import { fileURLToPath } from 'node:url';
import { dirname, basename } from 'node:path';
import type { UserWorkspaceConfig } from 'vitest/config';

// Tests resolve workspace packages through their "source" export condition,
// so `@reprise/core` is read from src/ and no build is needed before a run.
export function projectConfig(configUrl: string): UserWorkspaceConfig {
  const root = dirname(fileURLToPath(configUrl));
  return {
    resolve: { conditions: ['source', 'module', 'node', 'import', 'default'] },
    ssr: { resolve: { conditions: ['source', 'module', 'node', 'import', 'default'], externalConditions: ['source'] } },
    test: {
      name: basename(root),
      root,
      include: ['test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
}
