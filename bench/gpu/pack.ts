/**
 * Pack what the GPU machine lacks (it has no Node.js and reaches no registry), following
 * ../shared/gpu/README.md: the Node binary and onnxruntime-node + onnxruntime-common as tar.xz under `.gpu/`,
 * and the Vulkan/GL loader .debs Dawn needs under `.gl/`. Both folders are gitignored and travel as `carry`.
 * Each step is skipped when its output is already there for the same inputs.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The loader packages Dawn needs on the GPU machine (the tested list). */
export const GL_PACKAGES = ['libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'];
/** What one `run` call may carry in all (working tree included). */
export const CARRY_LIMIT_BYTES = 64 * 2 ** 20;

function sh(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
}

/** Bytes under a path (file or folder). */
export function sizeOf(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((s, f) => s + sizeOf(join(path, f)), 0);
}

/** Tar `paths` (relative to `cwd`) into `out` unless the stamp beside it says the same inputs were packed. */
function packOnce(out: string, cwd: string, paths: string[], excludes: string[], stamp: string, log: (l: string) => void): void {
  const stampFile = `${out}.stamp`;
  if (existsSync(out) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    log(`reusing ${out} (${(sizeOf(out) / 2 ** 20).toFixed(1)} MiB)`);
    return;
  }
  log(`packing ${paths.join(' ')} -> ${out} (xz, a minute or two)`);
  sh('tar', ['-C', cwd, '-cJf', out, ...excludes.map((e) => `--exclude=${e}`), ...paths], cwd);
  writeFileSync(stampFile, stamp);
  log(`  ${(sizeOf(out) / 2 ** 20).toFixed(1)} MiB`);
}

/** `.gpu/node.tar.xz` (this Node binary, unpacked at / there) and `.gpu/nm.tar.xz` (ONNX Runtime for Node, linux x64 only). */
export function packRuntime(root: string, gpuDir: string, log: (l: string) => void = () => {}): void {
  mkdirSync(gpuDir, { recursive: true });
  const node = process.execPath;
  if (!node.startsWith('/')) throw new Error(`unexpected Node path ${node}`);
  packOnce(join(gpuDir, 'node.tar.xz'), '/', [relative('/', node)], [], `${node} ${process.version} ${statSync(node).size}`, log);
  if (node !== '/usr/bin/node') log(`note: the Node binary unpacks to ${node} on the GPU machine; the run command calls it by that path`);
  const ortVersion = (JSON.parse(readFileSync(join(root, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as { version: string }).version;
  // Other platforms' binaries would push the carry over its 64 MiB limit; the GPU machine is linux x64.
  packOnce(join(gpuDir, 'nm.tar.xz'), root, ['node_modules/onnxruntime-node', 'node_modules/onnxruntime-common'],
    ['*/darwin/*', '*/win32/*', '*/arm64/*'], `onnxruntime-node ${ortVersion}`, log);
}

/** Download the loader .debs (amd64) into `glDir` with apt-get, unless all are there. */
export function fetchGlDebs(glDir: string, log: (l: string) => void = () => {}): void {
  mkdirSync(glDir, { recursive: true });
  const have = readdirSync(glDir).filter((f) => f.endsWith('.deb'));
  const missing = GL_PACKAGES.filter((p) => !have.some((f) => f.startsWith(`${p}_`)));
  if (!missing.length) {
    log(`reusing ${have.length} loader .debs in ${glDir}`);
    return;
  }
  log(`downloading ${missing.join(' ')} (amd64) into ${glDir}`);
  // Own package lists for amd64 so this works whatever this machine's architecture and leaves its apt state alone.
  const lists = '/tmp/vigil-apt-amd64';
  mkdirSync(join(lists, 'partial'), { recursive: true });
  const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`, '-qq'];
  sh('apt-get', [...o, 'update'], glDir);
  sh('apt-get', [...o, 'download', ...missing], glDir);
}

/**
 * `.gpu/stage.mjs`: bench/gpu/stage.ts and the vigil sources it runs (inferBatches, the session wrapper, scoring)
 * bundled with esbuild into one plain-JavaScript file, so the GPU machine runs vigil's own inference stage with
 * nothing but the carried Node and onnxruntime-node (left external, resolved from the unpacked node_modules).
 */
export async function bundleStage(root: string, gpuDir: string, log: (l: string) => void = () => {}): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = join(gpuDir, 'stage.mjs');
  await esbuild.build({
    entryPoints: [join(root, 'bench/gpu/stage.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['onnxruntime-node', 'onnxruntime-web'],
    // CommonJS dependencies bundled into an ES module still call require().
    banner: { js: "import { createRequire as __vigilRequire } from 'node:module'; const require = __vigilRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  // The worker backend starts runtime/inference/ort-worker.mjs from beside the module that asks for it: the bundle.
  copyFileSync(join(root, 'runtime/inference/ort-worker.mjs'), join(gpuDir, 'ort-worker.mjs'));
  log(`bundled bench/gpu/stage.ts -> ${relative(root, outfile)} (${(sizeOf(outfile) / 2 ** 10).toFixed(0)} KiB) with ort-worker.mjs beside it`);
  return outfile;
}
