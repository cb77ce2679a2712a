#!/usr/bin/env node
/**
 * `reprise check-compat`: the pre-deploy check for CI. Loads the
 * orchestrators from a module (its `orchestrators` export, a default
 * `{ orchestrators }`, or its named generator functions), opens the store
 * read-only in effect (checkCompatibility never leases or writes), prints
 * the report and exits 1 when a live run would diverge, 2 on bad usage.
 *
 *   reprise check-compat --sqlite app.db --module ./dist/workflows.js [--hub NAME] [--sample N]
 *   reprise check-compat --redis redis://localhost:6379 --module ./dist/workflows.js
 *
 * The storage adapter is resolved from the working directory's project
 * (the app that uses it has it installed).
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { OrchestratorFunction, Storage } from '@reprise/core';
import { checkCompatibility, formatCompatibilityReport } from './check-compatibility.js';

const USAGE = 'usage: reprise check-compat (--sqlite FILE | --redis URL) --module FILE [--hub NAME] [--sample N] [--namespace NS]...';

class UsageError extends Error {}

interface Args {
  sqlite?: string;
  redis?: string;
  module?: string;
  hub?: string;
  sample?: number;
  namespaces: string[];
}

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (command !== 'check-compat') throw new UsageError(command === undefined ? 'no command given' : `unknown command '${command}'`);
  const args: Args = { namespaces: [] };
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i]!;
    const value = rest[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case '--sqlite':
        args.sqlite = value;
        break;
      case '--redis':
        args.redis = value;
        break;
      case '--module':
        args.module = value;
        break;
      case '--hub':
        args.hub = value;
        break;
      case '--sample':
        if (!/^[1-9]\d*$/.test(value)) throw new UsageError('--sample needs a positive integer');
        args.sample = Number(value);
        break;
      case '--namespace':
        args.namespaces.push(value);
        break;
      default:
        throw new UsageError(`unknown option '${flag}'`);
    }
  }
  if ((args.sqlite === undefined) === (args.redis === undefined)) throw new UsageError('give exactly one of --sqlite and --redis');
  if (args.module === undefined) throw new UsageError('--module is required');
  return args;
}

/** An adapter package as the project in the working directory has it. */
async function importFromProject(name: string): Promise<Record<string, unknown>> {
  try {
    const require = createRequire(resolve(process.cwd(), 'package.json'));
    return (await import(pathToFileURL(require.resolve(name)).href)) as Record<string, unknown>;
  } catch {
    return (await import(name)) as Record<string, unknown>;
  }
}

async function openStorage(args: Args): Promise<Storage> {
  if (args.sqlite !== undefined) {
    const { sqliteStorage } = (await importFromProject('@reprise/sqlite')) as { sqliteStorage: (o: { path: string }) => Storage };
    return sqliteStorage({ path: resolve(args.sqlite) });
  }
  const { redisStorage } = (await importFromProject('@reprise/redis')) as { redisStorage: (o: { url: string }) => Storage };
  return redisStorage({ url: args.redis! });
}

/** `orchestrators`, a default `{ orchestrators }`, or the module's named generator functions. */
function orchestratorsOf(mod: Record<string, unknown>): Record<string, OrchestratorFunction> | readonly { name: string }[] {
  const named = mod.orchestrators ?? (mod.default as { orchestrators?: unknown } | undefined)?.orchestrators;
  if (named && typeof named === 'object') return named as Record<string, OrchestratorFunction>;
  const generators = Object.entries(mod).filter(([, value]) => typeof value === 'function' && value.constructor?.name === 'GeneratorFunction');
  if (generators.length === 0) throw new UsageError('the module exports no orchestrators (export `orchestrators`, a default `{ orchestrators }`, or generator functions)');
  return Object.fromEntries(generators) as Record<string, OrchestratorFunction>;
}

async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`reprise: ${error.message}\n${USAGE}`);
    return 2;
  }
  const mod = (await import(pathToFileURL(resolve(args.module!)).href)) as Record<string, unknown>;
  const orchestrators = orchestratorsOf(mod);
  const storage = await openStorage(args);
  try {
    await storage.open();
    const report = await checkCompatibility({
      storage,
      orchestrators: orchestrators as Record<string, OrchestratorFunction>,
      ...(args.hub !== undefined && { taskHub: args.hub }),
      ...(args.sample !== undefined && { sample: args.sample }),
      ...(args.namespaces.length > 0 && { namespaces: args.namespaces }),
    });
    console.log(formatCompatibilityReport(report));
    return report.diverged.length > 0 ? 1 : 0;
  } finally {
    await storage.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('reprise:', error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
