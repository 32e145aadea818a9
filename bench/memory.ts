/**
 * RSS of `vigil run` as users start it: `npx vigil run --model M --broker URL --topic 'vigil-mem/ID/+/data'`, no
 * other flags (a free metrics port and a state file in a temp folder, so it can run beside another vigil), on the
 * real Mosquitto, with a window-64 conv model trained by `vigil train` on simulated pump data (8 channels).
 * A publisher feeds 1,000 sensors round-robin at a steady 2,000 readings/s for 60 s; every second the bench reads
 * VmRSS/VmHWM/RssAnon/RssFile from /proc/PID/status of the `vigil` node process and the V8 heap, external memory and
 * counters from its /metrics. Steady state = the samples after every window has filled and half the run is gone.
 * The breakdown (always for the default --out, or with `--breakdown`) measures the stages a run goes through
 * (bench/memory/stage.mjs, each in a fresh process).
 * Writes bench/results/memory.json (`--out NAME`: NAME.json, for a labelled variant).
 *
 *   node bin/run-ts.mjs bench/memory.ts [--sensors 1000] [--rate 2000] [--seconds 60] [--breakdown]
 *     [--launcher 'npx vigil'] [--node-options '...'] [--run-args '--low-memory'] [--label name] [--out NAME]
 *     [--broker URL] [--model path]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArg } from './lib/child.ts';
import { connectNoDelay } from './lib/mqtt.ts';
import { machineInfo, writeBenchResult } from './lib/result.ts';
import { quantile } from './lib/stats.ts';
import { ROOT, benchModel, csvRows, procStatus, scrape, startVigil as startVigilAs } from './lib/vigil.ts';

const BROKER = cliArg('broker', 'mqtt://127.0.0.1:1883');
const SENSORS = Number(cliArg('sensors', '1000'));
const RATE = Number(cliArg('rate', '2000'));
const SECONDS = Number(cliArg('seconds', '60'));
const LAUNCHER = cliArg('launcher', 'npx vigil').split(' ');
const NODE_OPTIONS = cliArg('node-options', '');
const LABEL = cliArg('label', 'shipped defaults');
/** Extra `vigil run` flags of a labelled variant (none for the shipped defaults). */
const RUN_ARGS = cliArg('run-args', '').split(' ').filter(Boolean);
const MB = 1024 * 1024;

/** Resident MB per mapping of /proc/PID/smaps, grouped: each file by name, anonymous memory as one line, largest first. */
function smapsByMapping(pid: number): Array<{ mapping: string; rssMB: number }> {
  const by = new Map<string, number>();
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1].trim();
      name = !path ? 'anonymous (V8 heaps, malloc arenas, thread stacks)' : path.startsWith('[') ? path : path.replace(/^.*\/node_modules\//, '').replace(/^\/usr\/(local\/)?bin\//, '');
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) by.set(name, (by.get(name) ?? 0) + Number(rss[1]) / 1024);
  }
  return [...by].map(([mapping, rssMB]) => ({ mapping, rssMB })).sort((a, b) => b.rssMB - a.rssMB);
}

interface Sample {
  t: number;
  proc: Record<string, number>;
  metrics: Record<string, number>;
}

/** Start the runtime as a user would (bench/lib/vigil.ts), with this run's launcher, flags and NODE_OPTIONS. */
const startVigil = (model: string, topic: string, work: string) => startVigilAs({ launcher: LAUNCHER, model, broker: BROKER, topic, work, extra: RUN_ARGS, nodeOptions: NODE_OPTIONS });

/** Feed SENSORS at RATE readings/s for SECONDS, sampling memory every second. */
async function measureRun(model: string): Promise<{ samples: Sample[]; idle: Sample; mappings: ReturnType<typeof smapsByMapping>; sent: number; pid: number; launcher: string; loader: string }> {
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-memory-'));
  const prefix = `vigil-mem/${process.pid}`;
  const vigil = await startVigil(model, `${prefix}/+/data`, work);
  const { channels, rows } = csvRows(model);
  const pub = await connectNoDelay(BROKER, `bench-memory-${process.pid}`);
  const row = new Array<number>(SENSORS).fill(0);
  const t0ms = 1_700_000_000_000;
  const payload = (s: number) => {
    const i = row[s]++;
    const values = rows[(i + s * 37) % rows.length];
    let p = `{"ts":${t0ms + i * 1000}`;
    for (let c = 0; c < channels.length; c++) p += `,"${channels[c]}":${values[c]}`;
    return `${p}}`;
  };
  // Idle: started, connected and subscribed, nothing received yet (3 s after the banner).
  await new Promise((r) => setTimeout(r, 3000));
  const idle: Sample = { t: -1, proc: procStatus(vigil.pid), metrics: await scrape(vigil.opsUrl) };
  const samples: Sample[] = [];
  let sent = 0;
  const start = performance.now();
  const sample = async () => {
    samples.push({ t: (performance.now() - start) / 1000, proc: procStatus(vigil.pid), metrics: await scrape(vigil.opsUrl) });
  };
  await sample();
  await new Promise<void>((done) => {
    let nextSample = 1;
    const tick = () => {
      const elapsed = (performance.now() - start) / 1000;
      if (elapsed >= SECONDS) return done();
      const due = Math.floor(elapsed * RATE);
      while (sent < due) pub.publish(`${prefix}/s${String(sent % SENSORS).padStart(5, '0')}/data`, payload(sent % SENSORS), { qos: 0 }), sent++;
      if (elapsed >= nextSample) {
        nextSample++;
        void sample();
      }
      setTimeout(tick, 5);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 1000));
  await sample();
  const mappings = smapsByMapping(vigil.pid);
  await pub.endAsync();
  process.kill(-vigil.child.pid!, 'SIGINT');
  await new Promise((r) => vigil.child.once('exit', r));
  return { samples, idle, mappings, sent, pid: vigil.pid, launcher: LAUNCHER.join(' '), loader: vigil.loader };
}

/** RSS and heaps at each stage of a start, each stage in a fresh process (bench/memory/stage.mjs). */
function breakdown(model: string): Array<{ stage: string; rssMB: number; heapUsedMB: number; heapTotalMB: number; externalMB: number; note: string }> {
  const stages = ['node', 'ort', 'launcher', 'run-modules'];
  spawnSync(process.execPath, [join(ROOT, 'bin/vigil.mjs'), '--version'], { cwd: ROOT }); // builds the bundle if stale
  return stages.map((stage) => {
    const r = spawnSync(process.execPath, ['--expose-gc', join(ROOT, 'bench/memory/stage.mjs'), stage, model], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...(NODE_OPTIONS ? { NODE_OPTIONS } : {}) } });
    if (r.status !== 0) throw new Error(`stage ${stage} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  });
}

async function main(): Promise<void> {
  const started = new Date();
  const model = benchModel();
  const stages = process.argv.includes('--breakdown') || cliArg('out', 'memory') === 'memory' ? breakdown(model) : undefined;
  process.stderr.write(`memory: ${LAUNCHER.join(' ')} run, ${SENSORS} sensors at ${RATE} readings/s for ${SECONDS} s${NODE_OPTIONS ? ` (NODE_OPTIONS=${NODE_OPTIONS})` : ''}...\n`);
  const run = await measureRun(model);
  const last = run.samples.at(-1)!;
  // Steady state: every window full (SENSORS * 64 readings sent) and the second half of the run.
  const fullAt = (SENSORS * 64) / RATE;
  const steady = run.samples.filter((s) => s.t >= Math.max(fullAt, SECONDS / 2) && s.t <= SECONDS);
  const vm = steady.map((s) => s.proc.VmRSS);
  const mb = (k: string) => steady.map((s) => s.metrics[k] / MB);
  const scored = last.metrics.vigil_windows_scored_total ?? 0;
  const cpuS = (last.metrics.vigil_process_cpu_seconds_total ?? 0) - (run.samples[0].metrics.vigil_process_cpu_seconds_total ?? 0);
  const summary = {
    label: LABEL,
    idleRssMB: run.idle.proc.VmRSS,
    launcher: run.launcher,
    loader: run.loader,
    nodeOptions: NODE_OPTIONS || null,
    sensors: SENSORS,
    rate: RATE,
    seconds: SECONDS,
    sent: run.sent,
    decoded: last.metrics.vigil_readings_decoded_total,
    scored,
    activeSensors: last.metrics.vigil_active_sensors,
    cores: cpuS / SECONDS,
    steadyRssMB: { median: quantile(vm, 0.5)!, max: Math.max(...vm) },
    peakRssMB: last.proc.VmHWM,
    metricsRssMB: quantile(mb('vigil_process_resident_memory_bytes'), 0.5)!,
    rssAnonMB: quantile(steady.map((s) => s.proc.RssAnon), 0.5)!,
    rssFileMB: quantile(steady.map((s) => s.proc.RssFile), 0.5)!,
    heapUsedMB: quantile(mb('vigil_nodejs_heap_size_used_bytes'), 0.5)!,
    heapTotalMB: quantile(mb('vigil_nodejs_heap_size_total_bytes'), 0.5)!,
    externalMB: quantile(mb('vigil_nodejs_external_memory_bytes'), 0.5)!,
  };
  const f = (x: number) => x.toFixed(1);
  process.stderr.write(`memory: ${summary.label} (${run.loader}): steady RSS median ${f(summary.steadyRssMB.median)} MB, max ${f(summary.steadyRssMB.max)} MB, peak (VmHWM) ${f(summary.peakRssMB)} MB; anon ${f(summary.rssAnonMB)} file ${f(summary.rssFileMB)}; V8 heap ${f(summary.heapUsedMB)}/${f(summary.heapTotalMB)} MB, external ${f(summary.externalMB)} MB; scored ${scored} of ${run.sent} sent, ${summary.cores.toFixed(2)} cores\n`);
  process.stderr.write(`memory: idle (started, nothing received) ${f(run.idle.proc.VmRSS)} MB; resident by mapping at the end: ${run.mappings.slice(0, 8).map((m) => `${m.mapping} ${f(m.rssMB)}`).join(', ')}\n`);
  if (stages) for (const s of stages) process.stderr.write(`memory: stage ${s.stage.padEnd(12)} RSS ${f(s.rssMB)} MB  heap ${f(s.heapUsedMB)}/${f(s.heapTotalMB)} MB  external ${f(s.externalMB)} MB  ${s.note}\n`);
  const met = summary.steadyRssMB.max < 150;
  writeBenchResult({
    name: cliArg('out', 'memory'),
    title: `RSS of \`${run.launcher} run\` with ${SENSORS} sensors x window 64`,
    machine: machineInfo(),
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    notes: [
      `${summary.label}: steady RSS median ${f(summary.steadyRssMB.median)} MB, max ${f(summary.steadyRssMB.max)} MB, peak (VmHWM, start included) ${f(summary.peakRssMB)} MB at ${SENSORS} sensors, ${RATE} readings/s, ${SECONDS} s.`,
      `${met ? 'MET' : 'NOT MET'}: steady RSS with ${SENSORS} sensors x window 64 (MB, max) = ${f(summary.steadyRssMB.max)} (target < 150)`,
    ],
    data: { summary, stages, idle: run.idle, mappings: run.mappings, samples: run.samples },
    tables: [
      { title: 'steady state', columns: Object.keys(summary), rows: [Object.values(summary).map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : (v ?? '')) as string | number)] },
      { title: 'resident memory by mapping at the end of the run (/proc/PID/smaps)', columns: ['mapping', 'RSS MB'], rows: run.mappings.filter((m) => m.rssMB >= 0.5).map((m) => [m.mapping, +f(m.rssMB)]) },
      ...(stages ? [{ title: 'stages (each a fresh process)', columns: ['stage', 'RSS MB', 'heap used MB', 'heap total MB', 'external MB', 'what'], rows: stages.map((s) => [s.stage, +f(s.rssMB), +f(s.heapUsedMB), +f(s.heapTotalMB), +f(s.externalMB), s.note]) }] : []),
    ],
    figures: [
      {
        id: 'memory-rss',
        title: `RSS over time, ${SENSORS} sensors at ${RATE} readings/s (${summary.label})`,
        kind: 'line',
        xLabel: 's',
        yLabel: 'MB',
        markers: false,
        series: [
          { name: 'VmRSS', points: run.samples.map((s) => [s.t, s.proc.VmRSS]) },
          { name: 'V8 heap total', points: run.samples.map((s) => [s.t, s.metrics.vigil_nodejs_heap_size_total_bytes / MB]) },
        ],
      },
    ],
  });
}

await main();
process.exit(0);
