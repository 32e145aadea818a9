/**
 * `npm run bench`: run every per-area bench script that exists (each in its own process, with a time
 * limit), then collect `bench/results/*.json` into `bench/results/SUMMARY.md` with one plot per figure.
 * A missing or failing piece is reported in the summary; the others still run.
 *
 *   npm run bench                      # all pieces
 *   npm run bench -- --only nab,train  # some pieces
 *   npm run bench -- --summary-only    # rebuild SUMMARY.md from existing results
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { machineInfo, readResults, RESULTS_DIR } from './lib/result.ts';
import { writeSummary, type PieceStatus } from './lib/summary.ts';
import { mainWhenInvoked } from './lib/main.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The pieces, in run order: name -> script (relative to the repo root). */
export const PIECES: Array<{ name: string; script: string; summary: string }> = [
  { name: 'train', script: 'bench/train.ts', summary: 'training windows/s per architecture and tfjs backend' },
  { name: 'inference', script: 'bench/inference.ts', summary: 'inference windows/s vs batch size per execution provider' },
  { name: 'e2e', script: 'bench/e2e.ts', summary: 'end-to-end MQTT ingest, latency p50/p99, RSS' },
  { name: 'burst', script: 'bench/burst.ts', summary: 'one sensor, 10,000 readings back to back (mosquitto_pub -l, mqtt.js) into `npx vigil run` as shipped: scored / formed, drain time' },
  { name: 'sustained', script: 'bench/sustained.ts', summary: '100 and 1,000 sensors at 2k-20k readings/s into `npx vigil run` as shipped: achieved, CPU per reading vs a bare mqtt.js subscriber, publish -> alert p50/p99, RSS' },
  { name: 'max-batch', script: 'bench/max-batch.ts', summary: 'the largest batch on the CPU provider (batch.maxBatch auto): RSS held and CPU per window after a backlog of 512 sensors, at 64-4,096' },
  { name: 'memory', script: 'bench/memory.ts', summary: 'RSS of `npx vigil run` as shipped, 1,000 sensors x window 64 at 2k readings/s, with a breakdown' },
  { name: 'overload', script: 'bench/overload.ts', summary: 'capacity by a ramp, then 2x it for 30 s into `npx vigil run` as shipped: goodput, shed by reason, latency, recovery' },
  { name: 'soak', script: 'bench/soak.ts', summary: '1,000 sensors at 2,000 readings/s for 60 s (--duration) into `npx vigil run` as shipped, default conv model: RSS over time, scored / formed, p99, CPU' },
  { name: 'train-quality', script: 'bench/train-quality.ts', summary: 'detection quality per architecture on labelled synthetic data' },
  { name: 'vae-recon-prob', script: 'bench/vae-recon-prob.ts', summary: 'VAE: reconstruction probability vs reconstruction error on labelled synthetic data' },
  { name: 'compare', script: 'bench/compare.ts', summary: 'every architecture and loss on labelled synthetic pumps and NAB: F1, false alarms, delay, training time, size, windows/s' },
  { name: 'thresholds', script: 'bench/thresholds.ts', summary: 'threshold update cost and quality' },
  { name: 'defaults', script: 'bench/defaults.ts', summary: 'card default threshold and smoothing: every kind through the trained model on labelled pumps and NAB' },
  { name: 'nab', script: 'bench/nab.ts', summary: 'vigil on the Numenta Anomaly Benchmark vs the published board' },
  { name: 'fleet-jetstream', script: 'bench/fleet-jetstream.ts', summary: 'JetStream fleet, 1,000 sensors x 20 readings: exactly once across kill -9 / join / SIGTERM, alerts vs a 1-worker control, hand-over time, throughput vs one MQTT gateway' },
  { name: 'simulators', script: 'bench/simulators.ts', summary: 'synthetic fleet: 10,000 pumps x 8 channels at 1 Hz from one process' },
  { name: 'dashboard', script: 'bench/dashboard.ts', summary: 'live dashboard: recording cost, memory and page update time vs sensors' },
];

function runPiece(script: string, timeoutS: number, extra: string[]): Promise<{ code: number | null; timedOut: boolean; tail: string; seconds: number }> {
  return new Promise((done) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run-ts.mjs'), join(ROOT, script), ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (b: Buffer): void => {
      process.stderr.write(b);
      tail = (tail + b.toString()).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, timedOut, tail, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

/** Bench scripts present in bench/ that are not default pieces (long soaks, overload tests): runnable with --only. */
function extraPieces(): Array<{ name: string; script: string; summary: string }> {
  return readdirSync(join(ROOT, 'bench'))
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !PIECES.some((p) => p.script === `bench/${f}`))
    .sort()
    .map((f) => ({ name: f.replace(/\.ts$/, ''), script: `bench/${f}`, summary: 'not in the default set' }));
}

/** Entry point. */
export async function main(argv: string[]): Promise<number> {
  const o = new Command('npm run bench --')
    .description('Run the bench pieces that exist and write bench/results/SUMMARY.md with plots.')
    .option('--only <names>', `comma-separated pieces (${PIECES.map((p) => p.name).join(', ')}, or any other bench/NAME.ts)`)
    .option('--timeout <s>', 'time limit per piece in seconds', (v) => Number(v), 900)
    .option('--summary-only', 'do not run anything; rebuild the summary from bench/results/*.json')
    .option('--quick', 'pass --quick to every piece (shorter runs, for smoke checks)')
    .parse(argv, { from: 'user' })
    .opts<{ only?: string; timeout: number; summaryOnly?: boolean; quick?: boolean }>();
  const wanted = o.only ? new Set(o.only.split(',').map((s) => s.trim())) : undefined;
  const extras = extraPieces();
  const all = [...PIECES, ...extras];
  const unknown = [...(wanted ?? [])].filter((n) => !all.some((p) => p.name === n));
  if (unknown.length) throw new Error(`unknown piece(s) ${unknown.join(', ')}; expected ${all.map((p) => p.name).join(', ')}`);
  const statuses: PieceStatus[] = [];
  for (const p of all) {
    const isExtra = extras.includes(p);
    if (wanted ? !wanted.has(p.name) : isExtra) {
      if (isExtra && !wanted && !o.summaryOnly) statuses.push({ name: p.name, script: p.script, status: 'skipped', detail: `not in the default set; run it with npm run bench -- --only ${p.name}` });
      continue;
    }
    if (o.summaryOnly) continue;
    if (!existsSync(join(ROOT, p.script))) {
      statuses.push({ name: p.name, script: p.script, status: 'missing', detail: `${p.script} does not exist yet (${p.summary})` });
      process.stderr.write(`bench: ${p.name}: missing ${p.script}, skipped\n`);
      continue;
    }
    process.stderr.write(`bench: ${p.name}: running ${p.script}\n`);
    const r = await runPiece(p.script, o.timeout, o.quick ? ['--quick'] : []);
    const status = r.timedOut ? 'timeout' : r.code === 0 ? 'ok' : 'failed';
    const detail = status === 'ok' ? '' : r.timedOut ? `killed after ${o.timeout} s` : `exit ${r.code}: ${r.tail.trim().split('\n').slice(-3).join(' / ')}`;
    statuses.push({ name: p.name, script: p.script, status, seconds: r.seconds, detail });
  }
  writeSummary(RESULTS_DIR, readResults(RESULTS_DIR), statuses, machineInfo());
  process.stderr.write(`bench: wrote ${join(RESULTS_DIR, 'SUMMARY.md')}\n`);
  for (const s of statuses) process.stderr.write(`  ${s.name.padEnd(11)} ${s.status}${s.seconds ? ` (${s.seconds.toFixed(1)} s)` : ''}\n`);
  return statuses.some((s) => s.status === 'failed' || s.status === 'timeout') ? 1 : 0;
}

mainWhenInvoked(import.meta.url, 'bench', main);
