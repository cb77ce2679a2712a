import type { Options } from 'tsup';

// ESM-only dependencies are bundled into the CommonJS build so `require()`
// works on every Node 20 minor, not only those with require(esm).
const esmOnly = ['nanoid', 'p-queue', 'superjson', 'eventemitter3'];

export function libraryConfig(): Options[] {
  const common: Options = {
    entry: ['src/index.ts'],
    target: 'node20',
    sourcemap: true,
    dts: true,
    clean: false,
    treeshake: true,
  };
  return [
    { ...common, format: ['esm'], clean: true },
    { ...common, format: ['cjs'], noExternal: esmOnly },
  ];
}
