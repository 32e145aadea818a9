#!/usr/bin/env node
/**
 * `npm run build`: bundle the CLI (bin/dispatch.ts and every command behind it) with esbuild into dist/, so a
 * small gateway runs `vigil` on plain node without the tsx loader (~40 MB less RSS). Optional: bin/vigil.mjs
 * uses dist/vigil.mjs only while it is newer than every source it was built from, else tsx as always.
 * Packages from node_modules stay external (onnxruntime-node/-web, tfjs, native and wasm files load as usual).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(repo, 'dist');
const WORKSPACES = { runtime: 'runtime', simulators: 'simulators', train: 'train' };

/** Workspace imports (`@vigil/runtime/...`) are our sources: bundle them rather than leave them external. */
const workspaces = {
  name: 'vigil-workspaces',
  setup(build) {
    build.onResolve({ filter: /^@vigil\// }, (args) => {
      const [, pkg, ...rest] = args.path.split('/');
      if (!(pkg in WORKSPACES)) return undefined;
      return { path: join(repo, WORKSPACES[pkg], rest.length ? rest.join('/') : 'index.ts') };
    });
    // Sources find their assets (dashboard pages, demo data, package.json) relative to their own file: keep
    // import.meta.url pointing at the source file, not at the bundle.
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${'/'}node_modules${'/'}`)) return undefined;
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

await rm(dist, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: { vigil: join(repo, 'bin/dispatch.ts') },
  outdir: dist,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true, // each command stays its own lazily loaded chunk, as in the sources
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  plugins: [workspaces],
  metafile: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});
// bin/vigil.mjs compares these sources' times with the bundle's to fall back to tsx when the bundle is stale.
const inputs = Object.keys(result.metafile.inputs)
  .map((p) => relative(repo, resolve(repo, p)))
  .filter((p) => !p.split(/[\\/]/).includes('node_modules'));
await writeFile(join(dist, 'inputs.json'), JSON.stringify(inputs.sort(), null, 1));
const out = result.metafile.outputs;
const bytes = Object.entries(out).filter(([p]) => p.endsWith('.mjs')).reduce((n, [, o]) => n + o.bytes, 0);
process.stdout.write(`vigil build: dist/vigil.mjs + ${Object.keys(out).filter((p) => p.includes('/chunks/') && p.endsWith('.mjs')).length} chunks, ${(bytes / 1024).toFixed(0)} KiB, from ${inputs.length} sources\n`);
