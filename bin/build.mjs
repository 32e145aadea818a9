#!/usr/bin/env node
/**
 * Bundle the CLI (bin/dispatch.ts and every command behind it) with esbuild, so `vigil` runs on plain node without
 * the tsx loader (its hooks thread and on-the-fly compiler cost ~30 MB of RSS). bin/vigil.mjs runs this itself
 * whenever the bundle is missing or older than a source it was built from (about a second), so `npx vigil` runs
 * the bundle after `npm install` and after every edit; `npm run build` does it ahead of time.
 * Each build goes to its own folder dist/<id>/ and dist/current.json then names it (written by rename), so two
 * starts building at once, or a build while `vigil run` is up, never see a half-written bundle or lose a chunk.
 * Folders of builds older than an hour, other than the current one, are removed (a running `vigil` loads its
 * chunks while it starts).
 * Packages from node_modules stay external (onnxruntime-node/-web, tfjs, native and wasm files load as usual).
 *   node bin/build.mjs [--quiet]
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(repo, 'dist');
const WORKSPACES = { dashboard: 'dashboard', evaluate: 'evaluate', plot: 'plot', runtime: 'runtime', simulators: 'simulators', train: 'train' };

/**
 * Workspace imports (`@vigil/runtime/...`) are our sources: bundle them rather than leave them external. A workspace
 * that is not installed (a gateway without @vigil/dashboard) stays external, so the command that needs it says so.
 */
const workspaces = {
  name: 'vigil-workspaces',
  setup(build) {
    build.onResolve({ filter: /^@vigil\// }, (args) => {
      const [, pkg, ...rest] = args.path.split('/');
      if (!(pkg in WORKSPACES) || !existsSync(join(repo, WORKSPACES[pkg], 'package.json'))) return undefined;
      return { path: join(repo, WORKSPACES[pkg], rest.length ? rest.join('/') : 'index.ts') };
    });
    // A command's folder that a package leaves out (vigil-gateway: no train/, simulators/, evaluate/, bin/pack-gateway.mjs)
    // stays an import that fails when that command is asked for; bin/dispatch.ts then says it is not installed.
    build.onResolve({ filter: /^\.\.\// }, (args) => (args.importer === join(repo, 'bin', 'dispatch.ts') && !existsSync(resolve(dirname(args.importer), args.path)) ? { path: args.path, external: true } : undefined));
    // Sources find their assets (dashboard pages, demo data, package.json) relative to their own file: keep
    // import.meta.url pointing at the source file, not at the bundle. Relative to where bin/vigil.mjs finds itself
    // (globalThis.__vigilRoot), not the folder it was built in: a packed bundle (bin/pack-gateway.mjs) runs elsewhere
    // (a probe: `vigil --version` read a package.json of the build's temporary folder). Our sources only: an install
    // under node_modules (npm install vigil-gateway) is ours too.
    const rootUrl = pathToFileURL(`${repo}/`).href;
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (relative(repo, args.path).split(/[\\/]/).includes('node_modules')) return undefined;
      const text = await readFile(args.path, 'utf8');
      const own = `(new URL(${JSON.stringify(relative(repo, args.path).split(sep).join('/'))}, globalThis.__vigilRoot ?? ${JSON.stringify(rootUrl)}).href)`;
      return { contents: text.replaceAll('import.meta.url', own), loader: 'ts' };
    });
  },
};

// Sources edited while the build runs are newer than this, so the next start builds again.
const startedAt = Date.now();
const id = `${startedAt.toString(36)}-${process.pid}`;
const outdir = join(dist, id);
const result = await esbuild.build({
  entryPoints: { vigil: join(repo, 'bin/dispatch.ts') },
  outdir,
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
// bin/vigil.mjs compares these sources' times with the build's start to fall back to a rebuild when one changed.
const inputs = Object.keys(result.metafile.inputs)
  .map((p) => relative(repo, resolve(repo, p)))
  .filter((p) => !p.split(/[\\/]/).includes('node_modules'));
await writeFile(join(outdir, 'inputs.json'), JSON.stringify({ startedAt, inputs: inputs.sort() }, null, 1));
const current = join(dist, 'current.json');
await writeFile(`${current}.${id}`, JSON.stringify({ dir: id }));
await rename(`${current}.${id}`, current);
for (const entry of await readdir(dist, { withFileTypes: true })) {
  if (!entry.isDirectory() || entry.name === id) continue;
  const { mtimeMs } = await stat(join(dist, entry.name));
  if (Date.now() - mtimeMs > 3_600_000) await rm(join(dist, entry.name), { recursive: true, force: true });
}
const out = result.metafile.outputs;
const bytes = Object.entries(out).filter(([p]) => p.endsWith('.mjs')).reduce((n, [, o]) => n + o.bytes, 0);
if (!process.argv.includes('--quiet')) {
  process.stdout.write(`vigil build: ${relative(repo, outdir)}/vigil.mjs + ${Object.keys(out).filter((p) => p.includes('/chunks/') && p.endsWith('.mjs')).length} chunks, ${(bytes / 1024).toFixed(0)} KiB, from ${inputs.length} sources\n`);
}
