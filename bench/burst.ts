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
 * Writes bench/results/burst.json (with --repeats 0, only the kill runs: bench/results/burst-kill.json).
 */
const USAGE = `node bin/run-ts.mjs bench/burst.ts [options]
  --readings N       readings per burst and per kill run (10000)
  --repeats N        bursts per publisher (3, --quick 1); 0: only the broker kill runs (writes burst-kill.json, or burst-kill-reorder-MS.json with --reorder-ms)
  --kill-repeats N   runs through a broker kill -9 and restart (2, --quick 1)
  --kill-rate N      readings per second in the kill runs (2000)
  --outage S         seconds the broker stays down (3)
  --reorder-ms MS    set window.reorderMs in the kill runs (default: the shipped default; the result says so)
  --launcher CMD     how to start vigil ('npx vigil')
  --reconnect JSON   broker.reconnect for vigil in the kill runs, e.g. '{"quickMs":0}' (default: as shipped; the result says so)
  --out DIR          write the result file there instead of bench/results (trial runs)
  --broker URL       use this broker for the bursts instead of the bench's own Mosquitto
  --quick            fewer repeats`;
if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from './lib/broker.ts';
import { cliArg } from './lib/child.ts';
import { connectNoDelay } from './lib/mqtt.ts';
import { machineInfo, writeBenchResult } from './lib/result.ts';
import { median, quantile } from './lib/stats.ts';
import { disorderOf, type Delivery } from './lib/disorder.ts';
import { benchModel, csvRows, delta, droppedByReason, readingJson, scrape, scrapeSeries, startVigil, type VigilProcess } from './lib/vigil.ts';

const QUICK = process.argv.includes('--quick');
const N = Number(cliArg('readings', '10000'));
const REPEATS = Number(cliArg('repeats', QUICK ? '1' : '3'));
const KILL_REPEATS = Number(cliArg('kill-repeats', QUICK ? '1' : '2'));
const KILL_RATE = Number(cliArg('kill-rate', '2000'));
const OUTAGE_S = Number(cliArg('outage', '3'));
const REORDER_MS = cliArg('reorder-ms', '');
const LAUNCHER = cliArg('launcher', 'npx vigil').split(' ');
const W = 64;
const OUT = cliArg('out', '');
const RECONNECT = cliArg('reconnect', '');

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

/** One run through a broker kill -9 and restart. */
interface KillRun {
  repeat: number;
  sent: number;
  decoded: number;
  duplicates: number;
  outOfOrder: number;
  /** Distinct readings a second persistent QoS 1 subscriber (the bench's witness) got from the broker. */
  witnessDistinct: number;
  /** Of those, first delivered after a newer one, and the hold (ms) that would have kept them: max, p99. */
  witnessLate: number;
  witnessHoldMaxMs: number;
  witnessHoldP99Ms: number;
  /** Readings vigil put back in order (vigil_readings_reordered_total). */
  reordered: number;
  /** Reconnects on which the broker had lost vigil's session (vigil_broker_sessions_lost_total): what it got meanwhile is lost. */
  sessionsLost: number;
  /** From the broker's restart to vigil's CONNACK ('broker connected' in its log; it subscribes in the next round trip), s. */
  reconnectS: number;
  formed: number;
  scored: number;
  ratio: number;
  dropped: number;
  outageS: number;
  /** From the broker's restart to the last window scored (s). */
  drainS: number;
  meanBatch: number;
}

/** N readings at QoS 1 through a broker that is killed (SIGKILL) a third of the way in and restarted. */
async function throughKill(model: string, lines: string[], repeat: number): Promise<KillRun> {
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-burst-kill-'));
  const broker = await startBroker(work, { persistence: true });
  const conf = join(work, 'vigil.json');
  const window = REORDER_MS ? { reorderMs: Number(REORDER_MS) } : {};
  writeFileSync(conf, JSON.stringify({ broker: { clean: false, clientId: `burst-kill-vigil-${process.pid}-${repeat}`, ...(RECONNECT ? { reconnect: JSON.parse(RECONNECT) } : {}) }, source: { qos: 1 }, window }));
  const vigil = await startVigil({ launcher: LAUNCHER, model, broker: broker.url, topic: 'kill/+/data', work, extra: ['-c', conf] });
  // When vigil's log says it connected (JSON lines on stderr), for the time from the restart to its reconnect.
  const connectedAt: number[] = [];
  let partial = '';
  vigil.child.stderr!.on('data', (b: Buffer) => {
    const at = performance.now();
    const ls = (partial + b.toString()).split('\n');
    partial = ls.pop()!;
    for (const l of ls) if (l.includes('"broker connected"')) connectedAt.push(at);
  });
  const pub = await mqtt.connectAsync(broker.url, { clientId: `burst-kill-pub-${process.pid}-${repeat}`, clean: false, reconnectPeriod: 100 });
  (pub.stream as unknown as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
  pub.on('connect', () => (pub.stream as unknown as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true));
  pub.on('error', () => {});
  const topic = `kill/pump-${repeat}/data`;
  // A witness: what the broker delivers to a persistent QoS 1 session besides vigil's (readings it lost in the crash never come).
  const deliveries: Delivery[] = [];
  const witness = await mqtt.connectAsync(broker.url, { clientId: `burst-kill-witness-${process.pid}-${repeat}`, clean: false, reconnectPeriod: 100 });
  witness.on('error', () => {});
  witness.on('message', (_t, p) => deliveries.push({ ts: Number(/"ts":(\d+)/.exec(p.toString())?.[1]), at: performance.now() }));
  await witness.subscribeAsync(topic, { qos: 1 });
  const before = await scrape(vigil.opsUrl);
  const reasons0 = droppedByReason((await scrapeSeries(vigil.opsUrl)).series);
  let sent = 0;
  let restartedAt = 0;
  let killedAt = Infinity;
  let outageS = 0;
  const killAt = Math.floor(lines.length / 3);
  // Paced by the wall clock in 5 ms steps; the kill and the restart happen on the way.
  const t0 = performance.now();
  let crash: Promise<void> | undefined;
  while (sent < lines.length) {
    const due = Math.min(lines.length, Math.floor(((performance.now() - t0) / 1000) * KILL_RATE));
    for (; sent < due; sent++) pub.publish(topic, lines[sent], { qos: 1 });
    if (!crash && sent >= killAt) {
      crash = (async () => {
        const k = performance.now();
        await broker.kill9();
        killedAt = performance.now();
        await new Promise((r) => setTimeout(r, OUTAGE_S * 1000));
        await broker.restart();
        restartedAt = performance.now();
        outageS = (restartedAt - k) / 1000;
      })();
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await crash;
  const expected = lines.length - (W - 1);
  let after = before;
  let last = -1;
  let lastChange = performance.now();
  let drainS = NaN;
  while (performance.now() - lastChange < 15_000) {
    await new Promise((r) => setTimeout(r, 20));
    after = await scrape(vigil.opsUrl).catch(() => after);
    const scored = delta(before, after, 'vigil_windows_scored_total');
    if (scored !== last) {
      last = scored;
      lastChange = performance.now();
      drainS = (performance.now() - restartedAt) / 1000;
    }
    if (scored >= expected && (after.vigil_pending_windows ?? 0) === 0) break;
  }
  await new Promise((r) => setTimeout(r, 300));
  after = await scrape(vigil.opsUrl);
  const reasons1 = droppedByReason((await scrapeSeries(vigil.opsUrl)).series);
  await pub.endAsync().catch(() => {});
  await witness.endAsync().catch(() => {});
  await vigil.stop();
  await broker.stop();
  const formed = delta(before, after, 'vigil_windows_total');
  const scored = delta(before, after, 'vigil_windows_scored_total');
  const batches = delta(before, after, 'vigil_batch_size_count');
  const disorder = disorderOf(deliveries);
  const run: KillRun = {
    repeat,
    sent: lines.length,
    decoded: delta(before, after, 'vigil_readings_decoded_total'),
    // Repeats of readings already judged (QoS 1 redelivery): counted apart, no drop.
    duplicates: delta(before, after, 'vigil_readings_duplicate_total'),
    outOfOrder: (reasons1.out_of_order ?? 0) - (reasons0.out_of_order ?? 0),
    witnessDistinct: disorder.distinct,
    witnessLate: disorder.late,
    witnessHoldMaxMs: disorder.holdMs.at(-1) ?? 0,
    witnessHoldP99Ms: quantile(disorder.holdMs, 0.99) ?? 0,
    reordered: delta(before, after, 'vigil_readings_reordered_total'),
    sessionsLost: delta(before, after, 'vigil_broker_sessions_lost_total'),
    reconnectS: ((connectedAt.find((t) => t > killedAt) ?? NaN) - restartedAt) / 1000,
    formed,
    scored,
    ratio: scored / formed,
    dropped: delta(before, after, 'vigil_dropped_total'),
    outageS,
    drainS,
    meanBatch: batches > 0 ? delta(before, after, 'vigil_batch_size_sum') / batches : 0,
  };
  process.stderr.write(`burst: broker kill -9 #${repeat}: sent ${run.sent}, broker delivered ${run.witnessDistinct} distinct to a witness, ${run.witnessLate} of them after a newer one (hold needed: p99 ${run.witnessHoldP99Ms.toFixed(0)} ms, max ${run.witnessHoldMaxMs.toFixed(0)} ms), vigil decoded ${run.decoded} (${run.reordered} put back in order, ${run.duplicates} duplicate, ${run.outOfOrder} out of order), windows ${scored}/${formed} scored (expected ${expected}), dropped ${run.dropped}, outage ${outageS.toFixed(1)} s, last window scored ${drainS.toFixed(2)} s after the restart, mean batch ${run.meanBatch.toFixed(0)}, vigil reconnected ${run.reconnectS.toFixed(3)} s after the restart, broker lost vigil's session: ${run.sessionsLost ? 'yes' : 'no'}\n`);
  return run;
}

async function main(): Promise<void> {
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-burst-'));
  const given = cliArg('broker', '');
  const model = benchModel();
  const { channels, rows } = csvRows(model);
  const t0 = 1_700_000_000_000;
  const lines = Array.from({ length: N }, (_, i) => readingJson(channels, rows[i % rows.length], t0 + i * 1000));
  const bursts: Burst[] = [];
  let loader = 'unknown';
  if (REPEATS > 0) {
    const broker = given ? { url: given, port: Number(new URL(given).port || 1883), stop: async () => {} } : await startBroker(work);
    const vigil = await startVigil({ launcher: LAUNCHER, model, broker: broker.url, topic: 'burst/+/data', work });
    loader = vigil.loader;
    process.stderr.write(`burst: ${LAUNCHER.join(' ')} run (${vigil.loader}), ${N} readings of one sensor per burst, broker ${broker.url}${given ? '' : ' (bench Mosquitto, TCP_NODELAY)'}\n`);
    for (let r = 1; r <= REPEATS; r++) {
      bursts.push(await burst(vigil, 'mosquitto_pub', r, (t, l) => viaMosquittoPub(broker.port, t, l), lines));
      bursts.push(await burst(vigil, 'mqtt.js', r, (t, l) => viaMqttJs(broker.url, t, l), lines));
    }
    await vigil.stop();
    await broker.stop();
  }
  const kills: KillRun[] = [];
  for (let r = 1; r <= KILL_REPEATS; r++) kills.push(await throughKill(model, lines, r));
  const expected = N - (W - 1);
  const killsOne = kills.every((k) => k.ratio === 1 && k.dropped === k.outOfOrder);
  // Every reading the broker delivered at all (to the witness) reached vigil and closed a window.
  const killsAll = kills.every((k) => k.formed >= k.witnessDistinct - (W - 1));
  const reorder = REORDER_MS ? `window.reorderMs ${REORDER_MS} (set for this run)` : 'window.reorder* as shipped (runtime/stream/reorder-by-sensor.ts)';
  const killNote = `Broker kill -9 mid-stream: ${KILL_REPEATS} run(s), ${N} readings at ${KILL_RATE}/s, QoS 1 persistent sessions (sensor and vigil), Mosquitto with persistence saved every second, killed a third of the way in and restarted ${OUTAGE_S} s later; ${reorder}; vigil's broker.reconnect ${RECONNECT || 'as shipped'}. ${killsOne ? 'MET' : 'NOT MET'}: windows scored / formed = 1.0 and nothing dropped but readings older than what the sensor already windowed (out_of_order); the broker redelivers readings from its last save that vigil already had, counted as duplicates (no drop) while within window.duplicateHorizonMs of data time. After the restart the broker also delivers some readings after newer ones: the witness columns (a second persistent QoS 1 subscriber, reconnecting every 100 ms) count how many and the hold that would keep them (bench/lib/disorder.ts); vigil's reorder stage holds a sensor's readings once it shows disorder and releases them in timestamp order ('reordered'). Readings the broker acknowledged to the sensor but had not saved when killed are lost at the broker. ${killsAll ? 'MET' : 'NOT MET'}: windows formed >= distinct readings delivered to the witness - 63 in every run.`;
  const killTable = {
    title: `through a broker kill -9 and restart (${N} readings at ${KILL_RATE}/s, QoS 1, persistent sessions; expected ${expected} windows)`,
    columns: ['run', 'readings sent', 'distinct to witness', 'late to witness', 'hold needed p99 / max ms', 'vigil decoded', 'reordered', 'duplicate', 'out of order', 'windows formed', 'windows scored', 'scored / formed', 'dropped', 'outage s', 'restart -> vigil reconnected s', 'session lost', 'restart -> last scored s', 'mean batch'],
    rows: kills.map((k) => [k.repeat, k.sent, k.witnessDistinct, k.witnessLate, `${k.witnessHoldP99Ms.toFixed(0)} / ${k.witnessHoldMaxMs.toFixed(0)}`, k.decoded, k.reordered, k.duplicates, k.outOfOrder, k.formed, k.scored, k.ratio.toFixed(4), k.dropped, k.outageS.toFixed(1), k.reconnectS.toFixed(3), k.sessionsLost ? 'yes' : 'no', k.drainS.toFixed(2), k.meanBatch.toFixed(0)]),
  };
  const killFigure = {
    id: 'burst-kill-windows',
    title: `Windows formed through a broker kill -9 (expected ${expected})`,
    kind: 'bar' as const,
    xLabel: 'run',
    yLabel: 'windows',
    categories: kills.map((k) => `run ${k.repeat}`),
    series: [
      { name: 'windows formed', points: kills.map((k, i) => [i, k.formed] as [number, number]) },
      { name: 'distinct to witness - 63', points: kills.map((k, i) => [i, k.witnessDistinct - (W - 1)] as [number, number]) },
    ],
  };
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
    }, ...(OUT ? [OUT] : []));
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
  }, ...(OUT ? [OUT] : []));
}

await main();
process.exit(0);
