// Bundles the browser app (src/ui) into dist/ui: one minified script and one
// stylesheet, named by content hash so they can be cached forever, and a
// manifest the handler reads to write index.html. Run by `pnpm build` and
// before the tests.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'ui');

const hash = (data) => createHash('sha256').update(data).digest('hex').slice(0, 12);

export async function buildUi() {
  const result = await build({
    entryPoints: [join(root, 'src/ui/main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const script = result.outputFiles[0].contents;
  const styles = await readFile(join(root, 'src/ui/styles.css'));
  await mkdir(out, { recursive: true });
  // Safe to run twice at once (two test projects): files are named by content, the manifest is replaced atomically.
  // A build cleans dist/ first (tsup), so old bundles do not pile up there.
  const manifest = { script: `app.${hash(script)}.js`, styles: `app.${hash(styles)}.css` };
  await writeFile(join(out, manifest.script), script);
  await writeFile(join(out, manifest.styles), styles);
  const temporary = join(out, `manifest.${process.pid}.${Date.now()}.tmp`);
  await writeFile(temporary, `${JSON.stringify(manifest)}\n`);
  await rename(temporary, join(out, 'manifest.json'));
  return { ...manifest, scriptBytes: script.byteLength, scriptGzipBytes: gzipSync(script).byteLength, stylesGzipBytes: gzipSync(styles).byteLength };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildUi();
  console.log(`dist/ui: ${built.script} ${built.scriptBytes} B (${built.scriptGzipBytes} B gzipped), ${built.styles} (${built.stylesGzipBytes} B gzipped)`);
}
