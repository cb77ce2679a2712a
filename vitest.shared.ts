import { fileURLToPath } from 'node:url';
import { dirname, basename } from 'node:path';
import type { UserWorkspaceConfig } from 'vitest/config';

// Tests resolve workspace packages through their "@reprise/source" export condition,
// so `@reprise/core` is read from src/ and no build is needed before a run.
// The condition is namespaced: a tool that honours a generic `source` condition
// must not resolve a published package to src/, which the tarball does not ship.
const SOURCE_CONDITION = '@reprise/source';

export function projectConfig(configUrl: string): UserWorkspaceConfig {
  const root = dirname(fileURLToPath(configUrl));
  const conditions = [SOURCE_CONDITION, 'module', 'node', 'import', 'default'];
  return {
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: [SOURCE_CONDITION] } },
    test: {
      name: basename(root),
      root,
      include: ['test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
}
