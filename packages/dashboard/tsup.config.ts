import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.shared.js';

// The server only; the browser app (src/ui) is bundled by scripts/build-ui.mjs into dist/ui.
export default defineConfig(libraryConfig().map((config) => ({ ...config, shims: true })));
