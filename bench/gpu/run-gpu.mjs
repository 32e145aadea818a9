#!/usr/bin/env node
/**
 * GPU bench runner: for each model in a models folder (manifest.json from bench/gpu/models.ts), time ONNX Runtime's
 * WebGPU EP against its CPU EP in one process, batch 1 ... 16384, and check their outputs agree. Plain JavaScript
 * with no dependency but onnxruntime-node, so the GPU machine needs only the carried Node binary and modules.
 * Writes OUT/gpu.json after every point (a run cut short still leaves what it measured).
 *
 *   node bench/gpu/run-gpu.mjs --models .gpu/models --out "$OUT"
 *   node bench/gpu/run-gpu.mjs --providers cpu --out out/gpu-dryrun     # local dry run (no GPU here)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus, hostname, loadavg, platform, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const HELP = `Usage: node bench/gpu/run-gpu.mjs [options]

Times ONNX Runtime execution providers (default webgpu vs cpu) on the models in --models and writes OUT/gpu.json.

Options:
  --models <dir>         folder with manifest.json and the .onnx files (default .gpu/models)
  --out <dir>            where gpu.json goes (default $OUT, else out/gpu)
  --providers <list>     providers to time, comma-separated (default webgpu,cpu); webgpu is always probed once
                         and its failure recorded, so a cpu-only dry run still says why the GPU path did not run
  --batches <list>       batch sizes (default 1,4,16,64,256,1024,4096,16384)
  --point-seconds <s>    timed seconds per provider and batch size (default 1.5)
  --min-rounds <n>       at least this many timed samples per point (default 5)
  --cpu-threads <n>      intra-op threads for the cpu EP; 0 = ONNX Runtime's default, all physical cores (default 0)
  --max-seconds <s>      stop starting new points after this long, so the run ends inside its time limit (default 420)
  -h, --help             this text`;

const { values: opt } = parseArgs({
  options: {
    models: { type: 'string', default: '.gpu/models' },
    out: { type: 'string' },
    providers: { type: 'string', default: 'webgpu,cpu' },
    batches: { type: 'string', default: '1,4,16,64,256,1024,4096,16384' },
    'point-seconds': { type: 'string', default: '1.5' },
    'min-rounds': { type: 'string', default: '5' },
    'cpu-threads': { type: 'string', default: '0' },
    'max-seconds': { type: 'string', default: '420' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log(HELP);
  process.exit(0);
}

/** Parse a positive number option or exit with what was expected. */
function num(name, { integer = false, min = 0 } = {}) {
  const v = Number(opt[name]);
  if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    console.error(`run-gpu: --${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${opt[name]}'`);
    process.exit(2);
  }
  return v;
}
const PROVIDERS = opt.providers.split(',').map((s) => s.trim()).filter(Boolean);
const KNOWN = ['webgpu', 'cpu', 'cuda', 'tensorrt'];
const badProvider = PROVIDERS.find((p) => !KNOWN.includes(p));
if (!PROVIDERS.length || badProvider) {
  console.error(`run-gpu: --providers must list some of ${KNOWN.join(', ')}, got '${opt.providers}'`);
  process.exit(2);
}
const BATCHES = opt.batches.split(',').map(Number);
if (!BATCHES.length || BATCHES.some((b) => !Number.isInteger(b) || b < 1)) {
  console.error(`run-gpu: --batches must be positive integers, got '${opt.batches}'`);
  process.exit(2);
}
const POINT_S = num('point-seconds');
const MIN_ROUNDS = num('min-rounds', { integer: true, min: 1 });
const CPU_THREADS = num('cpu-threads', { integer: true });
const MAX_S = num('max-seconds', { min: 1 });
const MODELS = resolve(opt.models);
const OUT = resolve(opt.out ?? process.env.OUT ?? 'out/gpu');
/** Each timed sample strings calls together for about this long, so timer resolution never matters. */
const SAMPLE_MS = 50;
const MAX_ROUNDS = 200;

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const ortVersion = require('onnxruntime-node/package.json').version;

/**
 * Seeded uniform PRNG (mulberry32), so inputs are the same on every machine. A copy of runtime/util/prng.ts's
 * `mulberry32`, kept here on purpose: this script runs on the GPU machine with plain node and only onnxruntime-node
 * carried (bench/gpu/pack.ts), where a TypeScript module cannot be imported (no tsx, no workspace packages).
 */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Output of a command, or why there was none. */
function tryRun(cmd, args) {
  try {
    return { ok: true, text: execFileSync(cmd, args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim() };
  } catch (err) {
    return { ok: false, error: err.code === 'ENOENT' ? `${cmd} not found` : String(err.stderr || err.message).trim().split('\n').slice(-3).join(' / ') };
  }
}

/** Everything a reader needs to know which machine produced the numbers. */
function describeDevice() {
  const c = cpus();
  const query = tryRun('nvidia-smi', ['--query-gpu=name,driver_version,memory.total,pci.bus_id,compute_cap', '--format=csv,noheader']);
  const gpus = query.ok
    ? query.text.split('\n').filter(Boolean).map((l) => {
      const [name, driver, memory, bus, computeCap] = l.split(',').map((s) => s.trim());
      return { name, driver, memory, bus, computeCap };
    })
    : [];
  const smi = tryRun('nvidia-smi', []);
  // Dawn needs the Vulkan loader and a driver manifest: without either, WebGPU fails with "No supported adapters".
  const ld = tryRun('ldconfig', ['-p']);
  const icd = process.env.VK_DRIVER_FILES;
  return {
    hostname: hostname(),
    os: `${platform()} ${release()} ${arch()}`,
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    onnxruntime: ortVersion,
    supportedBackends: typeof ort.listSupportedBackends === 'function' ? ort.listSupportedBackends() : null,
    gpus,
    nvidiaSmi: smi.ok ? smi.text : null,
    nvidiaSmiError: smi.ok ? undefined : smi.error,
    vulkanLoader: ld.ok ? (ld.text.split('\n').find((l) => l.includes('libvulkan.so.1'))?.split('=>').pop()?.trim() ?? null) : null,
    vulkanIcd: icd ? `${icd}${existsSync(icd) ? '' : ' (missing)'}` : null,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function sessionOptions(provider) {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(provider === 'cpu' && CPU_THREADS > 0 ? { intraOpNumThreads: CPU_THREADS } : {}),
  };
}

/** Open a session, recording how long it took or why it failed (WebGPU without a Vulkan driver fails here). */
async function open(provider, bytes) {
  const t0 = performance.now();
  try {
    const session = await ort.InferenceSession.create(bytes, sessionOptions(provider));
    return { session, info: { ok: true, createMs: +(performance.now() - t0).toFixed(1) } };
  } catch (err) {
    return { session: undefined, info: { ok: false, error: String(err?.message ?? err).trim() } };
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Run `fn` k times; wall ms per call. */
async function sample(fn, k) {
  const t0 = performance.now();
  for (let i = 0; i < k; i++) await fn();
  return (performance.now() - t0) / k;
}

/**
 * Time every open provider at one batch size: warm up, then rounds of one ~50 ms sample per provider, the
 * order rotating each round so drift (clocks, other load) falls on all providers alike.
 */
async function timePoint(runs, n) {
  const names = Object.keys(runs);
  const k = {};
  for (const p of names) {
    await runs[p]();
    const probe = await sample(runs[p], 2);
    k[p] = Math.max(1, Math.ceil(SAMPLE_MS / Math.max(probe, 1e-3)));
    // Warm-up of about one sample's length, after shapes and kernels were first seen above.
    await sample(runs[p], Math.min(k[p], 20));
  }
  const ms = Object.fromEntries(names.map((p) => [p, []]));
  const t0 = performance.now();
  for (let round = 0; round < MAX_ROUNDS && (round < MIN_ROUNDS || performance.now() - t0 < POINT_S * 1000 * names.length); round++) {
    for (let i = 0; i < names.length; i++) {
      const p = names[(i + round) % names.length];
      ms[p].push(await sample(runs[p], k[p]));
    }
  }
  return names.map((p) => {
    const m = median(ms[p]);
    return {
      provider: p, batch: n, msPerRun: +m.toFixed(5), windowsPerSec: Math.round((n / m) * 1000), samples: ms[p].length, runsPerSample: k[p],
      minMs: +Math.min(...ms[p]).toFixed(5), maxMs: +Math.max(...ms[p]).toFixed(5),
    };
  });
}

/** Largest |a - b| and largest |a|, over two outputs of the same shape. */
function compare(a, b) {
  let diff = 0;
  let mag = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(a[i]));
  }
  return { maxAbsDiff: diff, maxAbsOutput: mag };
}

const started = Date.now();
const manifest = JSON.parse(readFileSync(join(MODELS, 'manifest.json'), 'utf8'));
if (manifest.format !== 'vigil-gpu-models' || !Array.isArray(manifest.models)) throw new Error(`${MODELS}/manifest.json is not a vigil-gpu-models manifest (run npm run bench:gpu)`);
const report = {
  format: 'vigil-gpu-bench',
  version: 1,
  startedAt: new Date(started).toISOString(),
  seconds: 0,
  complete: false,
  device: describeDevice(),
  options: { providers: PROVIDERS, batches: BATCHES, pointSeconds: POINT_S, minRounds: MIN_ROUNDS, sampleMs: SAMPLE_MS, cpuThreads: CPU_THREADS || 'onnxruntime default', maxSeconds: MAX_S, graphOptimizationLevel: 'all', inputs: 'seeded uniform [-2, 2), host tensors in and out on every call' },
  models: [],
  skipped: [],
};
mkdirSync(OUT, { recursive: true });
const outFile = join(OUT, 'gpu.json');
function save() {
  report.seconds = +((Date.now() - started) / 1000).toFixed(1);
  writeFileSync(`${outFile}.part`, `${JSON.stringify(report, null, 1)}\n`);
  renameSync(`${outFile}.part`, outFile);
}
const log = (line) => process.stderr.write(`${line}\n`);
log(`run-gpu: ${report.device.gpus.map((g) => `${g.name} (driver ${g.driver})`).join(', ') || `no NVIDIA GPU (${report.device.nvidiaSmiError})`}; ${report.device.cpu} x${report.device.cores}; onnxruntime-node ${ortVersion}`);

for (const m of manifest.models) {
  const bytes = readFileSync(join(MODELS, m.file));
  const hash = createHash('sha256').update(bytes).digest('hex');
  if (hash !== m.sha256) throw new Error(`${m.file}: sha256 ${hash} but the manifest says ${m.sha256} (rebuild with npm run bench:gpu)`);
  const entry = { name: m.name, description: m.description, file: m.file, sha256: hash, window: m.window, channels: m.channels, training: m.training, sessions: {}, points: [], parity: [] };
  report.models.push(entry);
  const sessions = {};
  // webgpu is probed even when not timed: a dry run should still say why the GPU path is unavailable.
  for (const p of [...new Set([...PROVIDERS, 'webgpu'])]) {
    const { session, info } = await open(p, bytes);
    entry.sessions[p] = { ...info, timed: PROVIDERS.includes(p) && info.ok };
    log(`${m.name}: ${p} session ${info.ok ? `opened in ${info.createMs} ms` : `failed: ${info.error.split('\n')[0]}`}`);
    if (session && PROVIDERS.includes(p)) sessions[p] = session;
    else if (session) await session.release?.();
  }
  save();
  const maxN = Math.max(...BATCHES);
  const rand = mulberry32(1234);
  const input = Float32Array.from({ length: maxN * m.window * m.channels }, () => rand() * 4 - 2);
  for (const n of BATCHES) {
    if ((Date.now() - started) / 1000 > MAX_S) {
      report.skipped.push({ model: m.name, batch: n, reason: `time budget --max-seconds ${MAX_S} spent` });
      log(`${m.name} batch ${n}: skipped (time budget)`);
      continue;
    }
    const feeds = { [m.inputName]: new ort.Tensor('float32', input.subarray(0, n * m.window * m.channels), [n, m.window, m.channels]) };
    const outputs = {};
    const runs = {};
    for (const [p, s] of Object.entries(sessions)) {
      try {
        outputs[p] = (await s.run(feeds))[m.outputName].data;
        runs[p] = () => s.run(feeds);
      } catch (err) {
        entry.points.push({ provider: p, batch: n, error: String(err?.message ?? err).trim() });
        log(`${m.name} ${p} batch ${n}: failed: ${String(err?.message ?? err).split('\n')[0]}`);
      }
    }
    if (outputs.cpu) for (const p of Object.keys(outputs).filter((q) => q !== 'cpu')) entry.parity.push({ provider: p, batch: n, ...compare(outputs.cpu, outputs[p]) });
    if (!Object.keys(runs).length) continue;
    const rows = await timePoint(runs, n);
    entry.points.push(...rows);
    const par = entry.parity.filter((q) => q.batch === n).map((q) => `, ${q.provider} vs cpu max |diff| ${q.maxAbsDiff.toExponential(1)}`).join('');
    log(`${m.name} batch ${String(n).padStart(5)}: ${rows.map((r) => `${r.provider} ${String(r.windowsPerSec).padStart(9)} w/s (${r.msPerRun.toPrecision(3)} ms)`).join(', ')}${par}`);
    save();
  }
  for (const s of Object.values(sessions)) await s.release?.();
}
report.complete = report.skipped.length === 0;
report.device.loadAverageAfter = loadavg().map((x) => Math.round(x * 100) / 100);
save();
log(`run-gpu: wrote ${outFile} in ${report.seconds} s`);
