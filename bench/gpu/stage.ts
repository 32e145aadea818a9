/**
 * The GPU bench's second half (issue 14): vigil's own inference stage (`inferBatches` on the default in-thread
 * onnxruntime-node backend: batch assembly, the session wrapper, reconstruction scoring, one ScoredWindow per
 * window) on WebGPU vs CPU, each against bare ONNX Runtime on the same provider, for the conv AE the runner times.
 * `npm run bench:gpu` bundles this file with esbuild into .gpu/stage.mjs (bench/gpu/pack.ts bundleStage), which
 * the GPU machine runs with the carried Node and onnxruntime-node only; it writes OUT/stage.json (a bench result)
 * after every point, so a run cut short still returns what it measured. bench/gpu/report.ts files it.
 *
 *   node .gpu/stage.mjs --models .gpu/models --out "$OUT"
 *   node bin/run-ts.mjs bench/gpu/stage.ts --providers cpu --out out/gpu-smoke     # here (no GPU)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanReason } from '../../runtime/inference/resolve.ts';
import { parseCard } from '../../runtime/model/card.ts';
import { mulberry32 } from '../../runtime/util/prng.ts';
import { machineInfo, type BenchResult } from '../lib/result.ts';
import { BACKLOG, measureProvider, stageFixture, type StageRow } from '../lib/stage-vs-bare.ts';
import type { GpuManifest } from './models.ts';
import { mainWhenInvoked } from '../lib/main.ts';

const HELP = `Usage: node .gpu/stage.mjs [options]

Times vigil's inference stage against bare ONNX Runtime per provider on one model of --models; writes OUT/stage.json.

Options:
  --models <dir>         folder with manifest.json, NAME.onnx and NAME.json (default .gpu/models)
  --model <name>         which model of the manifest (default conv)
  --out <dir>            where stage.json goes (default $OUT, else out/gpu)
  --providers <list>     comma-separated (default webgpu,cpu); one that cannot open is recorded with its reason
  --batches <list>       batch sizes (default 1,16,64,256,1024,4096,16384)
  --point-seconds <s>    timed seconds per provider and batch size (default 1.5)
  --cpu-threads <n>      ONNX Runtime CPU intra-op threads, both sides; 0 = its default, all physical cores (default 0)
  --worker <mode>        off: vigil's in-thread backend (its default); on: its worker-thread backend
                         (inference.worker); both: each provider twice (default both)
  --max-seconds <s>      start no new point after this long (default 150)
  -h, --help             this text`;

/** One provider that could not be measured, and why. */
interface Failure {
  provider: string;
  reason: string;
}

/** The stage-vs-bare rows as a bench result (figures, table, notes), named `name`. */
export function stageResult(name: string, rows: StageRow[], failures: Failure[], ctx: { model: string; description: string; threads: number; started: number; accelerator?: string }): BenchResult {
  const providers = [...new Set(rows.map((r) => r.provider))];
  const of = (p: string) => rows.filter((r) => r.provider === p);
  const at = (p: string, n: number) => rows.find((r) => r.provider === p && r.batch === n);
  // WebGPU as vigil runs it by default (inference.worker auto: in a worker) when measured so, else in-thread.
  const gpu = of('webgpu+worker').length ? 'webgpu+worker' : 'webgpu';
  const speedups = of(gpu).flatMap((g) => {
    const c = at('cpu', g.batch);
    return c ? [[g.batch, g.stageWps / c.stageWps] as [number, number]] : [];
  });
  const best = speedups.reduce<[number, number] | undefined>((a, b) => (!a || b[1] > a[1] ? b : a), undefined);
  const crossover = speedups.find(([, s]) => s > 1);
  return {
    name,
    title: `vigil's inference stage on WebGPU vs CPU (${ctx.model} model)`,
    machine: machineInfo(ctx.accelerator),
    startedAt: new Date(ctx.started).toISOString(),
    seconds: (Date.now() - ctx.started) / 1000,
    figures: [
      {
        id: `${name}-throughput`,
        title: `Windows/s vs batch, vigil's stage and bare ORT (${ctx.model} AE)`,
        kind: 'line',
        xLabel: 'batch size (windows)',
        yLabel: 'windows / s',
        logX: true,
        logY: true,
        series: providers.flatMap((p) => [
          { name: `inferBatches ${p}`, points: of(p).map((r) => [r.batch, r.stageWps] as [number, number]) },
          { name: `bare ORT ${p}`, points: of(p).map((r) => [r.batch, r.bareWps] as [number, number]) },
        ]),
        caption: `${ctx.description}. The stage includes batch assembly, the call through vigil\'s session wrapper, reconstruction scoring and one ScoredWindow per window; bare ORT is session.run on a prepared tensor, same provider and options.`,
      },
      {
        id: `${name}-overhead`,
        title: 'Stage wall time / bare ORT wall time (target <= 1.1)',
        kind: 'line',
        xLabel: 'batch size (windows)',
        yLabel: 'ratio',
        logX: true,
        series: providers.map((p) => ({ name: `${p} stage vs bare`, points: of(p).map((r) => [r.batch, r.ratio] as [number, number]) })),
      },
      {
        id: `${name}-main-thread`,
        title: 'Main thread busy per batch: how long intake waits behind one',
        kind: 'line',
        xLabel: 'batch size (windows)',
        yLabel: 'ms per batch',
        logX: true,
        logY: true,
        series: providers.map((p) => ({ name: p, points: of(p).filter((r) => r.mainBusy !== undefined).map((r) => [r.batch, r.mainBusy * r.stageMs] as [number, number]) })),
        caption: 'Event loop utilisation while the stage ran x its ms per batch. In-thread, the model call blocks the main thread (for a device provider, while the device works); +worker, the main thread only assembles and scores.',
      },
    ],
    tables: [
      {
        title: 'Per provider and batch size',
        columns: ['provider', 'batch', 'bare windows/s', 'stage windows/s', 'stage / bare (wall)', 'stage / own model time', 'stage split assemble/model/score %', 'main thread busy % (ms per batch)', 'webgpu / cpu (stage)'],
        rows: rows.map((r) => [
          r.provider, r.batch, Math.round(r.bareWps), Math.round(r.stageWps), +r.ratio.toFixed(3), +r.innerRatio.toFixed(3),
          [r.split.assemble, r.split.infer, r.split.score].map((x) => (100 * x).toFixed(1)).join(' / '),
          r.mainBusy === undefined ? '' : `${(100 * r.mainBusy).toFixed(0)} (${(r.mainBusy * r.stageMs).toFixed(2)})`,
          r.provider.startsWith('webgpu') && at('cpu', r.batch) ? +(r.stageWps / at('cpu', r.batch)!.stageWps).toFixed(2) : '',
        ]),
      },
    ],
    notes: [
      `Model: ${ctx.description}, exported as \`vigil train\` exports it; inputs seeded uniform in [-1, 1).`,
      `ONNX Runtime CPU intra-op threads: ${ctx.threads || 'its default (all physical cores)'} on both sides. PROVIDER: vigil's default in-thread onnxruntime-node backend; PROVIDER+worker: its worker-thread backend (inference.worker true). Bare ORT is in-thread on both.`,
      `Each timed unit hands the stage a backlog of ${BACKLOG} batches at once and bare ORT makes ${BACKLOG} calls in a row; times are per batch. A worker session takes two batches at once (InferenceSession.concurrency), so its backlog's batches are assembled and scored on the main thread while the model runs the previous one.`,
      'Main thread busy: event loop utilisation (perf_hooks) while the stage side ran; times the stage\'s ms per batch it is how long MQTT intake waits behind one batch of a backlog (assembly and scoring always, the model call too when it runs on the main thread).',
      ...failures.map((f) => `${f.provider} could not be measured: ${f.reason}`),
      best ? `WebGPU (${gpu}) through the stage: ${best[1].toFixed(1)}x the CPU at batch ${best[0]}${crossover ? `; faster than the CPU from batch ${crossover[0]}` : '; never faster than the CPU at these batch sizes'}.` : 'No batch size measured on both WebGPU and CPU.',
      ...providers.map((p) => {
        const worst = of(p).reduce((a, b) => (b.ratio > a.ratio ? b : a));
        return `${p}: stage / bare ORT ${of(p).map((r) => r.ratio.toFixed(2)).join(', ')} (batches ${of(p).map((r) => r.batch).join(', ')}); worst ${worst.ratio.toFixed(2)}x at batch ${worst.batch}.`;
      }),
    ],
    data: { rows, failures },
  };
}

/** The GPU's name from nvidia-smi, when there is one. */
function accelerator(): string | undefined {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0] || undefined;
  } catch {
    return undefined;
  }
}

/** Entry point. */
export async function main(argv: string[]): Promise<number> {
  const { values: opt } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string', default: '.gpu/models' },
      model: { type: 'string', default: 'conv' },
      out: { type: 'string' },
      providers: { type: 'string', default: 'webgpu,cpu' },
      batches: { type: 'string', default: '1,16,64,256,1024,4096,16384' },
      'point-seconds': { type: 'string', default: '1.5' },
      'cpu-threads': { type: 'string', default: '0' },
      'max-seconds': { type: 'string', default: '150' },
      worker: { type: 'string', default: 'both' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (opt.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const started = Date.now();
  const stopAt = performance.now() + Number(opt['max-seconds']) * 1000;
  const sizes = opt.batches.split(',').map(Number);
  if (!sizes.length || sizes.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`--batches must be positive integers, got '${opt.batches}'`);
  const pointSeconds = Number(opt['point-seconds']);
  const threads = Number(opt['cpu-threads']);
  if (!(pointSeconds > 0) || !Number.isInteger(threads) || threads < 0) throw new Error('--point-seconds must be > 0 and --cpu-threads an integer >= 0');
  const dir = resolve(opt.models);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as GpuManifest;
  const entry = manifest.models.find((m) => m.name === opt.model);
  if (!entry) throw new Error(`no model '${opt.model}' in ${join(dir, 'manifest.json')} (has ${manifest.models.map((m) => m.name).join(', ')})`);
  const card = parseCard(JSON.parse(readFileSync(join(dir, `${entry.name}.json`), 'utf8')), `${entry.name}.json`);
  const fx = stageFixture(card, new Uint8Array(readFileSync(join(dir, entry.file))), Math.max(...sizes), mulberry32(5));
  const out = resolve(opt.out ?? process.env.OUT ?? 'out/gpu');
  mkdirSync(out, { recursive: true });
  const gpu = accelerator();
  const rows: StageRow[] = [];
  const failures: Failure[] = [];
  const save = () => {
    const file = join(out, 'stage.json');
    writeFileSync(`${file}.tmp`, `${JSON.stringify(stageResult('gpu-stage', rows, failures, { model: entry.name, description: entry.description, threads, started, accelerator: gpu }), null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  };
  const log = (line: string) => process.stderr.write(`stage: ${line}\n`);
  const modes = ({ off: [false], on: [true], both: [false, true] } as Record<string, boolean[]>)[opt.worker];
  if (!modes) throw new Error(`--worker must be off, on or both, got '${opt.worker}'`);
  for (const [provider, worker] of opt.providers.split(',').map((s) => s.trim()).filter(Boolean).flatMap((p) => modes.map((w) => [p, w] as const))) {
    try {
      await measureProvider(provider, fx, sizes, { threads, pointSeconds, log, worker }, (r) => {
        rows.push(r);
        save();
      }, stopAt);
    } catch (err) {
      const reason = cleanReason(err);
      failures.push({ provider: worker ? `${provider}+worker` : provider, reason });
      log(`${provider}${worker ? '+worker' : ''}: ${reason}`);
      save();
    }
  }
  save();
  log(`wrote ${join(out, 'stage.json')}`);
  if (rows.length === 0) throw new Error(`no provider could be measured: ${failures.map((f) => `${f.provider}: ${f.reason}`).join('; ')}`);
  return 0;
}

mainWhenInvoked(import.meta.url, 'stage', main);
