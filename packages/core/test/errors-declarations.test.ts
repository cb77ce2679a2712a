// Core's emitted declarations compile for a consumer without @types/node. Guards against factory-built error
// classes, whose anonymous declared types dragged in `NodeJS.CallSite` (17 TS2503 errors in such a consumer).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const coreDir = dirname(dirname(fileURLToPath(import.meta.url)));
const repoDir = dirname(dirname(coreDir));
const outDir = mkdtempSync(join(tmpdir(), 'reprise-core-dts-'));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function show(diagnostics: readonly ts.Diagnostic[]): string[] {
  return diagnostics.map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return `${where}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

/** Emit the declarations of core's two entry points with the repository's compiler options. */
function emitDeclarations(): string[] {
  const base = ts.getParsedCommandLineOfConfigFile(join(repoDir, 'tsconfig.base.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!base) throw new Error('cannot read tsconfig.base.json');
  const options: ts.CompilerOptions = { ...base.options, noEmit: false, declaration: true, emitDeclarationOnly: true, sourceMap: false, outDir, rootDir: join(coreDir, 'src') };
  const program = ts.createProgram([join(coreDir, 'src/index.ts'), join(coreDir, 'src/internal.ts')], options);
  const result = program.emit();
  return show([...ts.getPreEmitDiagnostics(program), ...result.diagnostics]);
}

const CONSUMER = `
import { LeaseLostError, NonDeterminismError, RepriseError, createRuntime, defineActivity, defineOrchestrator, isRepriseError } from './index.js';
import type { InstanceId, OrchestrationClient, OrchestrationContext, OrchestrationStatus, RepriseErrorCode } from './index.js';
import { OrchestrationExecutor } from './internal.js';

const lost = new LeaseLostError('taken over');
export const code: 'LEASE_LOST' = lost.code;
export const base: RepriseError = lost;
export const anyCode: RepriseErrorCode = code;
export function fields(error: unknown): number | undefined {
  return isRepriseError(error, 'NONDETERMINISM') ? error.sequence : undefined;
}
export const nd = new NonDeterminismError('diverged', { expected: 'a', actual: 'b', sequence: 1 });

const double = defineActivity('Double', (n: number) => n * 2);
export const twice = defineOrchestrator('Twice', function* (ctx: OrchestrationContext<number>) {
  const once = yield* ctx.callActivity(double, ctx.getInput());
  return yield* ctx.callActivity(double, once);
});
export async function run(client: OrchestrationClient): Promise<OrchestrationStatus<number, number>> {
  const id: InstanceId<number, number> = await client.startNew(twice, { input: 2 });
  return client.waitForCompletion(id);
}
export { createRuntime, OrchestrationExecutor };
`;

describe("core's declaration files", () => {
  it('build without errors and compile in a consumer that has no @types/node', { timeout: 180_000 }, () => {
    expect(emitDeclarations()).toEqual([]);
    const declarations = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.d.ts'));
    expect(declarations).toContain('errors.d.ts');
    for (const file of declarations) expect(readFileSync(join(outDir, file), 'utf8'), file).not.toMatch(/\bNodeJS\b/);

    const consumer = join(outDir, 'consumer.ts');
    writeFileSync(consumer, CONSUMER);
    // No @types/node and no skipLibCheck: every emitted .d.ts is checked. DOM only for AbortSignal (ActivityContext.signal),
    // a web-standard type TypeScript's default lib includes.
    const program = ts.createProgram([consumer], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: [],
      skipLibCheck: false,
    });
    expect(show(ts.getPreEmitDiagnostics(program))).toEqual([]);
  });
});
