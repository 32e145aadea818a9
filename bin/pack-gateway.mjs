#!/usr/bin/env node
/**
 * Pack what a gateway installs: `vigil-gateway-VERSION.tgz`, the `vigil` command with the runtime alone (vigil run,
 * score, fleet) and its prebuilt bundle. `npm pack` of the repo gave a tarball of every workspace, test and bench
 * result (3 MB, 985 files) that could not even be installed (its @vigil/* dependencies are in no registry: npm 404);
 * `npm pack -w runtime` one with no command. This one has no training code, TensorFlow.js, dashboard, simulators,
 * tests or bench data, and depends only on what the runtime and the command need:
 *   npm run pack:gateway [-- --out DIR]     (default: the current directory)
 *   npm install /path/vigil-gateway-VERSION.tgz && npx vigil run --config gateway.yaml     (docs/install.md)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outAt = process.argv.indexOf('--out');
const out = resolve(outAt > 0 ? process.argv[outAt + 1] : process.cwd());
const read = (p) => JSON.parse(readFileSync(join(repo, p), 'utf8'));
const root = read('package.json');
const runtime = read('runtime/package.json');

/** What the package holds, from the repo: the command, the runtime, and the docs a gateway operator reads. */
const FILES = ['bin/vigil.mjs', 'bin/v8-heap.mjs', 'bin/quiet-debug.mjs', 'bin/packet-reads.mjs', 'bin/build.mjs', 'bin/dispatch.ts', 'runtime', 'README.md', 'docs/install.md', 'docs/run.md', 'docs/gateway.yaml', 'docs/vigil.service'];
/** What the command needs besides the runtime's own dependencies: its option parser, the bundler and the tsx fallback. */
const COMMAND_DEPENDENCIES = ['commander', 'esbuild', 'tsx'];

const stage = mkdtempSync(join(tmpdir(), 'vigil-gateway-'));
try {
  for (const f of FILES) cpSync(join(repo, f), join(stage, f), { recursive: true });
  const dependencies = { ...runtime.dependencies };
  for (const d of COMMAND_DEPENDENCIES) dependencies[d] = root.dependencies[d];
  const allowScripts = Object.fromEntries(Object.entries(root.allowScripts ?? {}).filter(([name]) => !name.startsWith('@tensorflow/')));
  const pkg = {
    name: 'vigil-gateway',
    version: root.version,
    description: 'vigil on a gateway: the live detector (vigil run), offline scoring (vigil score) and fleets, without training, TensorFlow.js or the dashboard.',
    type: 'module',
    license: root.license,
    engines: root.engines,
    bin: { vigil: 'bin/vigil.mjs' },
    // Not the bundle's source maps (half its size): node reads them only under --enable-source-maps.
    files: [...FILES, 'dist', '!dist/**/*.map'],
    dependencies,
    allowScripts,
  };
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  // The bundle, built now (esbuild from the repo's node_modules), so a gateway runs it from the first start, read-only
  // install or not. Its sources keep their times from the tarball (npm sets 1985), older than the build: it stays fresh.
  symlinkSync(join(repo, 'node_modules'), join(stage, 'node_modules'), 'dir');
  const built = spawnSync(process.execPath, [join(stage, 'bin/build.mjs'), '--quiet'], { cwd: stage, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`bundle build failed: ${built.stderr || built.error?.message}`);
  rmSync(join(stage, 'node_modules'));
  // Marked packaged: bin/vigil.mjs then runs it as it is (npm dates every file at its install, after the build).
  const { dir } = JSON.parse(readFileSync(join(stage, 'dist/current.json'), 'utf8'));
  const inputs = join(stage, 'dist', dir, 'inputs.json');
  writeFileSync(inputs, JSON.stringify({ ...JSON.parse(readFileSync(inputs, 'utf8')), packaged: true }, null, 1));
  const packed = spawnSync('npm', ['pack', '--pack-destination', out, '--ignore-scripts'], { cwd: stage, encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  process.stdout.write(`${join(out, packed.stdout.trim().split('\n').pop())}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
