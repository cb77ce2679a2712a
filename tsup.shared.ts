import type { Options } from 'tsup';

// ESM-only dependencies are bundled into the CommonJS build so `require()`
// works on every Node 20 minor, not only those with require(esm).
const esmOnly = ['nanoid', 'superjson', 'eventemitter3'];

/**
 * `entry` as tsup takes it; an object names the outputs
 * (`{ index: 'src/index.ts', conformance: 'src/conformance/index.ts' }` gives dist/index.js and dist/conformance.js).
 */
export function libraryConfig(entry: Options['entry'] = ['src/index.ts']): Options[] {
  const common: Options = {
    entry,
    target: 'node20',
    sourcemap: true,
    // `@internal` members (Task.complete/fail, ...) are for sibling modules only: keep them out of the declarations.
    dts: { compilerOptions: { stripInternal: true } },
    clean: false,
    treeshake: true,
  };
  return [
    { ...common, format: ['esm'], clean: true },
    // Shared chunks in CJS too: several entries must share one copy of each module (error classes for instanceof).
    { ...common, format: ['cjs'], noExternal: esmOnly, splitting: true },
  ];
}
