/**
 * Two or more vigil variants under bench/sustained.ts's load, alternated in one run (AB, then BA the next round), so each
 * comparison shares the machine's state (a shared 2-core machine moves absolute CPU figures by 2-3x from hour to
 * hour; the ratio between variants measured side by side is what holds). A variant is a launcher, optionally followed by
 * ` -- ` and flags for `vigil run`: another build (a bundle built from an older commit with `npm run build` in a
 * worktree), or the same build with another config:
 *   printf 'batch:\n  maxWaitMs: 5\n  adaptiveWait: false\n' > /tmp/batch-5ms.yaml
 *   node bin/run-ts.mjs bench/ab-sustained.ts --launchers 'node bin/vigil.mjs -- --config /tmp/batch-5ms.yaml|node bin/vigil.mjs' \
 *     --sensors 100 --rates 2000,5000 --rounds 6 --measure 4
 * Prints each step and, per sensors x rate, the median over rounds of CPU per reading, its ratio to a bare mqtt.js
 * subscriber's, publish -> alert p50 / p99 and the mean batch, with each variant's CPU against the first's.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchBroker } from './lib/broker.ts';
import { cliArg } from './lib/child.ts';
import { alertLatencies, helper, listenAlerts, sensorLoad } from './lib/load.ts';
import { connectNoDelay } from './lib/mqtt.ts';
import { median, quantile } from './lib/stats.ts';
import { benchModel, cpuSeconds, csvRows, delta, scrapeSeries, startVigil } from './lib/vigil.ts';

const LAUNCHERS = cliArg('launchers', 'node bin/vigil.mjs').split('|').map((v) => {
  const [launcher, flags = ''] = v.split(' -- ');
  return { launcher: launcher.trim().split(' '), flags: flags.split(' ').filter(Boolean) };
});
const SENSORS = cliArg('sensors', '100').split(',').map(Number);
const RATES = cliArg('rates', '2000,10000').split(',').map(Number);
const ROUNDS = Number(cliArg('rounds', '2'));
const MEASURE_S = Number(cliArg('measure', '5'));
const SETTLE_S = Number(cliArg('settle', '1'));
const EXTRA = cliArg('extra', '').split(' ').filter(Boolean);
const W = 64;
interface R { l: number; sensors: number; rate: number; us: number; bare: number; ratio: number; p50: number; p99: number; alerts: number; batch: number; achieved: number }
const out: R[] = [];

async function one(li: number, sensors: number, broker: string, model: string, work: string, tag: string): Promise<void> {
  const { channels, rows } = csvRows(model);
  const prefix = `ab${tag}`;
  const vigil = await startVigil({ launcher: LAUNCHERS[li].launcher, model, broker, topic: `${prefix}/+/data`, work, extra: [...LAUNCHERS[li].flags, ...EXTRA] });
  let bareCount = 0;
  const bare = await helper('bench/lib/bare-subscriber.mjs', [broker, `${prefix}/+/data`, '0'], (l) => (bareCount = Number(l.split(' ')[0])));
  const { alerts, proc: listener } = await listenAlerts(broker, 'vigil/alerts/+');
  const pub = await connectNoDelay(broker, `ab-pub-${process.pid}-${tag}`);
  const load = sensorLoad(pub, { prefix, sensors, channels, rows, window: W, spikePeriod: 100, qos: 0 });
  await load.pace(5000, (sensors * W) / 5000);
  for (let t = 0; t < 200; t++) {
    if (((await scrapeSeries(vigil.opsUrl)).sums.vigil_readings_decoded_total ?? 0) >= load.sent) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const rate of RATES) {
    await load.pace(rate, SETTLE_S);
    const { sums: m0 } = await scrapeSeries(vigil.opsUrl);
    const c0 = cpuSeconds(vigil.pid), b0 = cpuSeconds(bare.pid!), n0 = bareCount, s0 = load.sent, w0 = Date.now();
    await load.pace(rate, MEASURE_S);
    const w1 = Date.now();
    await new Promise((r) => setTimeout(r, 250));
    const { sums: m1 } = await scrapeSeries(vigil.opsUrl);
    const c1 = cpuSeconds(vigil.pid), b1 = cpuSeconds(bare.pid!), n1 = bareCount;
    const decoded = delta(m0, m1, 'vigil_readings_decoded_total');
    const lat = alertLatencies(alerts, w0, w1);
    const us = ((c1 - c0) / Math.max(1, decoded)) * 1e6, bus = ((b1 - b0) / Math.max(1, n1 - n0)) * 1e6;
    const r: R = { l: li, sensors, rate, us, bare: bus, ratio: us / bus, p50: quantile(lat, 0.5) ?? NaN, p99: quantile(lat, 0.99) ?? NaN, alerts: lat.length, batch: delta(m0, m1, 'vigil_batch_size_sum') / Math.max(1, delta(m0, m1, 'vigil_batch_size_count')), achieved: delta(m0, m1, 'vigil_windows_scored_total') / (load.sent - s0) };
    out.push(r);
    process.stderr.write(`ab: [${li}] ${sensors}s @${rate}: vigil ${us.toFixed(1)} us bare ${bus.toFixed(1)} us = ${r.ratio.toFixed(2)}x, alerts ${lat.length} p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)}, batch ${r.batch.toFixed(1)}, achieved ${r.achieved.toFixed(3)}\n`);
  }
  await pub.endAsync();
  bare.kill('SIGTERM');
  listener.kill('SIGTERM');
  await vigil.stop();
  if (process.env.AB_STDERR) writeFileSync(`${process.env.AB_STDERR}.${li}`, vigil.stderr());
}

const work = mkdtempSync(join(tmpdir(), 'vigil-ab-'));
const broker = await benchBroker();
const model = benchModel();
let tag = 0;
for (let r = 0; r < ROUNDS; r++)
  for (const s of SENSORS) {
    const order = LAUNCHERS.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const li of order) await one(li, s, broker.url, model, work, String(tag++));
  }
await broker.stop();
process.stderr.write('summary (median over rounds): launcher, sensors, rate: vigil us/reading, ratio, p50, p99, batch; delta vs launcher 0\n');
for (const s of SENSORS)
  for (const rate of RATES) {
    const base = median(out.filter((x) => x.l === 0 && x.sensors === s && x.rate === rate).map((x) => x.us));
    for (let li = 0; li < LAUNCHERS.length; li++) {
      const g = out.filter((x) => x.l === li && x.sensors === s && x.rate === rate);
      const m = (f: (x: R) => number) => median(g.map(f));
      process.stderr.write(`  [${li}] ${s} @${rate}: ${m((x) => x.us).toFixed(1)} us/reading (${g.map((x) => x.us.toFixed(1)).join(', ')}), ratio ${m((x) => x.ratio).toFixed(2)}, p50 ${m((x) => x.p50).toFixed(1)} p99 ${m((x) => x.p99).toFixed(1)} ms (max ${Math.max(...g.map((x) => x.p99)).toFixed(1)}), batch ${m((x) => x.batch).toFixed(1)}; vs [0] ${(m((x) => x.us) / base).toFixed(3)}\n`);
    }
  }
process.exit(0);
