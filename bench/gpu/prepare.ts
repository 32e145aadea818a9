/**
 * `npm run bench:gpu`: get everything ready for one call of the device tool's `run` on a GPU machine, then print
 * that call. Trains and exports the two models into .gpu/models, packs Node and ONNX Runtime into .gpu/, fetches
 * the Vulkan loaders into .gl/ (../shared/gpu/README.md), smoke-tests the runner here on the CPU EP, checks the
 * carry fits in 64 MiB. Scripts cannot call the device tool: a session lent a GPU makes the printed call.
 * After the call: `node bin/run-ts.mjs bench/gpu/report.ts <files_at>/gpu.json`.
 *
 *   npm run bench:gpu [-- --no-smoke]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { buildGpuModels } from './models.ts';
import { bundleStage, CARRY_LIMIT_BYTES, fetchGlDebs, packRuntime, sizeOf } from './pack.ts';
import { mainWhenInvoked } from '../lib/main.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Carried folders (gitignored): models and packed runtime, loader .debs. */
export const CARRY = ['.gpu', '.gl'];
/**
 * Seconds the device command may run. A session has 15 minutes of device time in all, machine start included, so
 * the bare-ORT runner and the stage bench each stop starting points after their share and the call leaves room.
 */
export const TIMEOUT_S = 420;
const RUNNER_S = 150;
const STAGE_S = 150;

/** The shell command for the device tool's `run`: unpack loaders, Node and modules, then the runner. */
export function deviceCommand(nodePath = process.execPath): string {
  return [
    'set -o pipefail',
    'for f in .gl/*.deb; do dpkg -x $f /; done',
    'ldconfig',
    'export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json',
    'tar -C / -xJf .gpu/node.tar.xz && tar -xJf .gpu/nm.tar.xz',
    `${nodePath} bench/gpu/run-gpu.mjs --models .gpu/models --out "$OUT" --point-seconds 1 --max-seconds ${RUNNER_S} 2>&1 | tee "$OUT/run-gpu.log"`,
    `${nodePath} .gpu/stage.mjs --models .gpu/models --out "$OUT" --max-seconds ${STAGE_S} 2>&1 | tee "$OUT/stage.log"`,
  ].join('; ');
}

/** Bytes of what the device tool sends besides the carry: tracked and untracked-not-ignored files. */
function workingTreeBytes(): number {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) return 0;
  return [...new Set(r.stdout.split('\0').filter(Boolean))].reduce((s, f) => s + sizeOf(join(ROOT, f)), 0);
}

const MiB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Entry point. */
export async function main(argv: string[]): Promise<number> {
  const o = new Command('npm run bench:gpu --')
    .description('Prepare .gpu/ and .gl/ for the GPU bench and print the device tool call that runs it.')
    .option('--no-smoke', 'skip the local CPU smoke run of bench/gpu/run-gpu.mjs')
    .parse(argv, { from: 'user' })
    .opts<{ smoke: boolean }>();
  const log = (l: string) => process.stderr.write(`bench:gpu: ${l}\n`);
  const gpuDir = join(ROOT, '.gpu');
  const manifest = await buildGpuModels(join(gpuDir, 'models'), log);
  packRuntime(ROOT, gpuDir, log);
  fetchGlDebs(join(ROOT, '.gl'), log);
  const stage = await bundleStage(ROOT, gpuDir, log);

  if (o.smoke) {
    log('smoke run of the runner here (cpu EP, batch 1 and 16; webgpu is expected to fail without a GPU)');
    const r = spawnSync(process.execPath, ['bench/gpu/run-gpu.mjs', '--models', '.gpu/models', '--out', 'out/gpu-smoke', '--providers', 'cpu', '--batches', '1,16', '--point-seconds', '0.05', '--min-rounds', '1'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`smoke run failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    const st = spawnSync(process.execPath, [stage, '--models', '.gpu/models', '--out', 'out/gpu-smoke', '--providers', 'cpu', '--batches', '1,16', '--point-seconds', '0.05'], { cwd: ROOT, encoding: 'utf8' });
    if (st.status !== 0) throw new Error(`stage smoke run failed (exit ${st.status}): ${st.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    log(`smoke run ok: ${join('out', 'gpu-smoke', 'gpu.json')}, ${join('out', 'gpu-smoke', 'stage.json')}`);
  }

  const carried = CARRY.reduce((s, d) => s + sizeOf(join(ROOT, d)), 0);
  const tree = workingTreeBytes();
  log(`models: ${manifest.models.map((m) => `${m.name} (${m.window}x${m.channels})`).join(', ')}; carry ${MiB(carried)} + working tree ${MiB(tree)} of ${MiB(CARRY_LIMIT_BYTES)}`);
  if (carried + tree > CARRY_LIMIT_BYTES) throw new Error(`what would travel is ${MiB(carried + tree)}, over the device tool's ${MiB(CARRY_LIMIT_BYTES)}`);

  const call = { command: deviceCommand(), carry: CARRY, timeout_s: TIMEOUT_S };
  writeFileSync(join(gpuDir, 'run-call.json'), `${JSON.stringify(call, null, 2)}\n`);
  process.stdout.write([
    'Ready. In a session lent a GPU (the device tool\'s status: can_start_another true), make this call of the device tool\'s `run`:',
    '',
    JSON.stringify(call, null, 2),
    '',
    'Then turn the returned gpu.json into bench/results/gpu.json and a SUMMARY.md section:',
    '  node bin/run-ts.mjs bench/gpu/report.ts <files_at>/gpu.json',
    `(the call is also in ${join('.gpu', 'run-call.json')})`,
    '',
  ].join('\n'));
  return 0;
}

mainWhenInvoked(import.meta.url, 'bench:gpu', main);
