import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.shared.js';

export default defineConfig(libraryConfig({ index: 'src/index.ts', conformance: 'src/conformance/index.ts', cli: 'src/cli.ts' }));
