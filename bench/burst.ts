/**
 * Burst, as shipped: one sensor sends N (10,000) readings back to back, as a gateway flushing its offline buffer
 * does, into `npx vigil run` with no flags beyond model, broker and topic (bench/lib/vigil.ts; default conv model
 * trained by `vigil train`), through a bench Mosquitto with TCP_NODELAY (bench/lib/broker.ts). Two publishers:
 * `mosquitto_pub -l --nodelay` (a client nobody here wrote) and mqtt.js (Nagle off), each a fresh sensor, REPEATS
 * times. Per burst: windows formed and scored (from /metrics; expected N - 63 at window 64, stride 1), scored /
 * formed (target 1.0), drops, batch sizes, time to publish and time to drain (first byte sent -> last window scored).
 * Then the same after a broker crash: a Mosquitto of its own with persistence (saved every second), `vigil run` with
 * a persistent session at QoS 1 (config file: broker.clean false, a client id, source.qos 1), and a sensor (mqtt.js,
 * persistent session, QoS 1) publishing N readings at --kill-rate/s; the broker is killed with SIGKILL a third of
 * the way in and restarted --outage seconds later; the sensor's client queues what it publishes meanwhile and sends
 * it after the restart, a burst on top of what the broker redelivers. Per run: readings sent / decoded, windows
 * formed / scored, time from the restart to the last window scored, and how out of order the witness got the
 * readings (bench/lib/disorder.ts: readings first delivered after a newer one, and the hold each would need).
 * Writes bench/results/burst.json (with --repeats 0, only the kill runs: bench/results/burst-kill.json). A variant
 * (--reorder-ms, --reconnect: not as shipped) writes to bench/results/tmp/ instead, so it never replaces them.
 */
const USAGE = `node bin/run-ts.mjs bench/burst.ts [options]
  --readings N       readings per burst and per kill run (10000)
  --repeats N        bursts per publisher (3, --quick 1); 0: only the broker kill runs (writes burst-kill.json, or tmp/burst-kill-reorder-MS.json with --reorder-ms)
  --kill-repeats N   runs through a broker kill -9 and restart (2, --quick 1)
  --kill-rate N      readings per second in the kill runs (2000)
  --outage S         seconds the broker stays down (3)
  --reorder-ms MS    set window.reorderMs in the kill runs (default: the shipped default; the result says so; a variant: written to bench/results/tmp/)
  --launcher CMD     how to start vigil ('npx vigil')
  --reconnect JSON   broker.reconnect for vigil in the kill runs, e.g. '{"quickMs":0}' (default: as shipped; the result says so; a variant: written to bench/results/tmp/)
  --out DIR          write the result file there instead of bench/results (or bench/results/tmp for a variant)
  --broker URL       use this broker for the bursts instead of the bench's own Mosquitto
  --quick            fewer repeats`;
if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchBroker } from './lib/broker.ts';
import { cliArg } from './lib/child.ts';
import { connectNoDelay } from './lib/mqtt.ts';
import { machineInfo, RESULTS_DIR, SCRATCH_DIR, writeBenchResult } from './lib/result.ts';
import { median } from './lib/stats.ts';
import { benchModel, csvRows, delta, readingJson, scrape, startVigil, type VigilProcess } from './lib/vigil.ts';
import { killReport, throughKill, type KillOptions, type KillRun } from './lib/burst-kill.ts';

const QUICK = process.argv.includes('--quick');
const N = Number(cliArg('readings', '10000'));
const REPEATS = Number(cliArg('repeats', QUICK ? '1' : '3'));
const KILL_REPEATS = Number(cliArg('kill-repeats', QUICK ? '1' : '2'));
const KILL_RATE = Number(cliArg('kill-rate', '2000'));
const OUTAGE_S = Number(cliArg('outage', '3'));
const REORDER_MS = cliArg('reorder-ms', '');
const LAUNCHER = cliArg('launcher', 'npx vigil').split(' ');
const W = 64;
const RECONNECT = cliArg('reconnect', '');
/** Not as shipped: its result is kept out of bench/results (fold it into the piece's result if it backs a decision). */
const VARIANT = REORDER_MS !== '' || RECONNECT !== '';
const OUT = cliArg('out', VARIANT ? SCRATCH_DIR : RESULTS_DIR);

interface Burst {
  publisher: string;
  repeat: number;
  sent: number;
  formed: number;
  scored: number;
  ratio: number;
  dropped: number;
  batches: number;
  meanBatch: number;
  publishS: number;
  drainS: number;
}

/** Publish the burst with `mosquitto_pub -l` (one message per stdin line); resolves when it exits. */
function viaMosquittoPub(port: number, topic: string, lines: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const p = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-q', '0', '-l', '--nodelay'], { stdio: ['pipe', 'ignore', 'inherit'] });
    p.once('exit', (code) => (code === 0 ? done() : fail(new Error(`mosquitto_pub exited ${code}`))));
    p.stdin.end(`${lines.join('\n')}\n`);
  });
}

/** Publish the burst with mqtt.js, back to back; resolves when the last message is written. */
async function viaMqttJs(url: string, topic: string, lines: string[]): Promise<void> {
  const c = await connectNoDelay(url, `burst-${process.pid}-${Date.now()}`);
  for (let i = 0; i < lines.length - 1; i++) c.publish(topic, lines[i], { qos: 0 });
  await c.publishAsync(topic, lines.at(-1)!, { qos: 0 });
  await c.endAsync();
}

async function burst(vigil: VigilProcess, publisher: string, repeat: number, send: (topic: string, lines: string[]) => Promise<void>, lines: string[]): Promise<Burst> {
  const topic = `burst/${publisher}-${repeat}/data`;
  const before = await scrape(vigil.opsUrl);
  const expected = lines.length - (W - 1);
  const t0 = performance.now();
  const sent = send(topic, lines).then(() => (performance.now() - t0) / 1000);
  let after = before;
  let drainS = NaN;
  const deadline = t0 + 120_000;
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    after = await scrape(vigil.opsUrl);
    if (delta(before, after, 'vigil_windows_scored_total') >= expected) {
      drainS = (performance.now() - t0) / 1000;
      break;
    }
    // Everything that arrived was decoded, nothing is pending, and no reading came for a while: stalled short.
    if (delta(before, after, 'vigil_readings_decoded_total') >= lines.length && (after.vigil_pending_windows ?? 0) === 0 && performance.now() - t0 > 20_000) break;
  }
  const publishS = await sent;
  await new Promise((r) => setTimeout(r, 300));
  after = await scrape(vigil.opsUrl);
  const formed = delta(before, after, 'vigil_windows_total');
  const scored = delta(before, after, 'vigil_windows_scored_total');
  const batches = delta(before, after, 'vigil_batch_size_count');
  const b: Burst = { publisher, repeat, sent: lines.length, formed, scored, ratio: scored / formed, dropped: delta(before, after, 'vigil_dropped_total'), batches, meanBatch: delta(before, after, 'vigil_batch_size_sum') / Math.max(1, batches), publishS, drainS };
  process.stderr.write(`burst: ${publisher} #${repeat}: ${scored}/${formed} windows scored (expected ${expected}), dropped ${b.dropped}, ${batches} batches (mean ${b.meanBatch.toFixed(0)}), published in ${publishS.toFixed(3)} s, drained in ${drainS.toFixed(3)} s\n`);
  return b;
}

/** REPEATS bursts per publisher into one `vigil run` through the bench Mosquitto (or the broker given). */
async function runBursts(model: string, lines: string[], work: string): Promise<{ bursts: Burst[]; loader: string }> {
  const bursts: Burst[] = [];
  const broker = await benchBroker();
  const vigil = await startVigil({ launcher: LAUNCHER, model, broker: broker.url, topic: 'burst/+/data', work });
  process.stderr.write(`burst: ${LAUNCHER.join(' ')} run (${vigil.loader}), ${N} readings of one sensor per burst, broker ${broker.url}${broker.given ? '' : ' (bench Mosquitto, TCP_NODELAY)'}\n`);
  for (let r = 1; r <= REPEATS; r++) {
    bursts.push(await burst(vigil, 'mosquitto_pub', r, (t, l) => viaMosquittoPub(broker.port, t, l), lines));
    bursts.push(await burst(vigil, 'mqtt.js', r, (t, l) => viaMqttJs(broker.url, t, l), lines));
  }
  await vigil.stop();
  await broker.stop();
  return { bursts, loader: vigil.loader };
}

async function main(): Promise<void> {
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-burst-'));
  const given = cliArg('broker', '');
  const model = benchModel();
  const { channels, rows } = csvRows(model);
  const t0 = 1_700_000_000_000;
  const lines = Array.from({ length: N }, (_, i) => readingJson(channels, rows[i % rows.length], t0 + i * 1000));
  const { bursts, loader } = REPEATS > 0 ? await runBursts(model, lines, work) : { bursts: [] as Burst[], loader: 'unknown' };
  const killOpts: KillOptions = { window: W, readings: N, repeats: KILL_REPEATS, rate: KILL_RATE, outageS: OUTAGE_S, reorderMs: REORDER_MS, reconnect: RECONNECT, launcher: LAUNCHER };
  const kills: KillRun[] = [];
  for (let r = 1; r <= KILL_REPEATS; r++) kills.push(await throughKill(model, lines, r, killOpts));
  const expected = N - (W - 1);
  const { killNote, killTable, killFigure } = killReport(kills, killOpts);
  if (REPEATS === 0) {
    writeBenchResult({
      name: REORDER_MS ? `burst-kill-reorder-${REORDER_MS}` : 'burst-kill',
      title: `Burst through a broker kill -9: one sensor, ${N} readings at ${KILL_RATE}/s into \`${LAUNCHER.join(' ')} run\``,
      machine: machineInfo(),
      startedAt: started.toISOString(),
      seconds: (Date.now() - started.getTime()) / 1000,
      notes: [killNote],
      tables: [killTable],
      figures: [killFigure],
      data: { readings: N, window: W, launcher: LAUNCHER.join(' '), reorderMs: REORDER_MS || 'default', kills },
    }, OUT);
    return;
  }
  const pubs = ['mosquitto_pub', 'mqtt.js'];
  const stat = (xs: number[], d = 3) => `${Math.min(...xs).toFixed(d)} / ${median(xs).toFixed(d)} / ${Math.max(...xs).toFixed(d)}`;
  const rowsOut = pubs.map((p) => {
    const b = bursts.filter((x) => x.publisher === p);
    return [p, b.length, b[0].sent, stat(b.map((x) => x.formed), 0), stat(b.map((x) => x.scored), 0), stat(b.map((x) => x.ratio), 4), stat(b.map((x) => x.dropped), 0), stat(b.map((x) => x.meanBatch), 0), stat(b.map((x) => x.publishS)), stat(b.map((x) => x.drainS))];
  });
  const allOne = bursts.every((b) => b.ratio === 1 && b.formed === expected);
  writeBenchResult({
    name: 'burst',
    title: `Burst: one sensor, ${N} readings back to back, into \`${LAUNCHER.join(' ')} run\` as shipped`,
    machine: machineInfo(),
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    notes: [
      `Shipped defaults: ${LAUNCHER.join(' ')} run (${loader}) with only --model/--broker/--topic/--metrics-port 0/--state; model ${model} (conv AE, window 64, 8 channels, trained by vigil train). Broker: ${given ? given : 'bench Mosquitto with set_tcp_nodelay true'}.`,
      `${allOne ? 'MET' : 'NOT MET'}: windows scored / formed = 1.0 in every burst (${bursts.length} bursts; formed = ${expected} expected).`,
      'Time to drain: from the start of the publish to the last window scored (vigil /metrics polled every 10 ms, so +-10 ms); min / median / max over the repeats.',
      killNote,
    ],
    tables: [{ title: `bursts of ${N} readings (min / median / max over ${REPEATS} repeats)`, columns: ['publisher', 'bursts', 'readings', 'windows formed', 'windows scored', 'scored / formed', 'dropped', 'mean batch', 'publish s', 'drain s'], rows: rowsOut }, killTable],
    figures: [
      {
        id: 'burst-drain',
        title: `Time to drain a burst of ${N} readings (s)`,
        kind: 'bar',
        xLabel: 'publisher',
        yLabel: 's',
        categories: pubs,
        series: [
          { name: 'publish', points: pubs.map((p, i) => [i, median(bursts.filter((x) => x.publisher === p).map((x) => x.publishS))]) },
          { name: 'drain (last window scored)', points: pubs.map((p, i) => [i, median(bursts.filter((x) => x.publisher === p).map((x) => x.drainS))]) },
        ],
      },
      killFigure,
    ],
    data: { readings: N, window: W, launcher: LAUNCHER.join(' '), loader, broker: given || 'bench mosquitto (TCP_NODELAY)', reorderMs: REORDER_MS || 'default', bursts, kills },
  }, OUT);
}

await main();
process.exit(0);
