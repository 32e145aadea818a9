/**
 * The broker-kill part of bench/burst.ts: a sensor publishes N readings at QoS 1 (persistent sessions) through a
 * Mosquitto with persistence that is killed with SIGKILL a third of the way in and restarted; what vigil decoded,
 * reordered, windowed and scored, what a second persistent subscriber (the witness) got, and how long the drain took.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type BenchBroker } from './broker.ts';
import { quantile } from './stats.ts';
import { disorderOf, type Delivery } from './disorder.ts';
import { delta, droppedByReason, scrape, scrapeSeries, startVigil, type VigilProcess } from './vigil.ts';

/** How the kill runs are made (bench/burst.ts flags). */
export interface KillOptions {
  /** Window of the bench model (a burst of N readings forms N - (W - 1) windows). */
  window: number;
  readings: number;
  repeats: number;
  /** Readings per second. */
  rate: number;
  /** Seconds the broker stays down. */
  outageS: number;
  /** window.reorderMs for vigil ('' : as shipped). */
  reorderMs: string;
  /** broker.reconnect for vigil as JSON ('' : as shipped). */
  reconnect: string;
  launcher: string[];
}

/** One run through a broker kill -9 and restart. */
export interface KillRun {
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

/** vigil, the broker, the sensor's client and the witness of one kill run. */
interface KillRig {
  work: string;
  broker: BenchBroker;
  vigil: VigilProcess;
  /** When vigil's log said it connected (JSON lines on stderr), for the time from the restart to its reconnect. */
  connectedAt: number[];
  pub: MqttClient;
  witness: MqttClient;
  /** What the broker delivered to the witness (readings it lost in the crash never come). */
  deliveries: Delivery[];
  topic: string;
}

/** When the broker was killed and restarted, and how long it was down (s). */
interface Crash {
  killedAt: number;
  restartedAt: number;
  outageS: number;
}

const noDelay = (c: MqttClient) => (c.stream as unknown as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);

async function startRig(model: string, repeat: number, o: KillOptions): Promise<KillRig> {
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-burst-kill-'));
  const broker = await startBroker({ persistence: true });
  const conf = join(work, 'vigil.json');
  const window = o.reorderMs ? { reorderMs: Number(o.reorderMs) } : {};
  writeFileSync(conf, JSON.stringify({ broker: { clean: false, clientId: `burst-kill-vigil-${process.pid}-${repeat}`, ...(o.reconnect ? { reconnect: JSON.parse(o.reconnect) } : {}) }, source: { qos: 1 }, window }));
  const vigil = await startVigil({ launcher: o.launcher, model, broker: broker.url, topic: 'kill/+/data', work, extra: ['-c', conf] });
  const connectedAt: number[] = [];
  let partial = '';
  vigil.child.stderr!.on('data', (b: Buffer) => {
    const at = performance.now();
    const ls = (partial + b.toString()).split('\n');
    partial = ls.pop()!;
    for (const l of ls) if (l.includes('"broker connected"')) connectedAt.push(at);
  });
  const pub = await mqtt.connectAsync(broker.url, { clientId: `burst-kill-pub-${process.pid}-${repeat}`, clean: false, reconnectPeriod: 100 });
  noDelay(pub);
  pub.on('connect', () => noDelay(pub));
  pub.on('error', () => {});
  const topic = `kill/pump-${repeat}/data`;
  const deliveries: Delivery[] = [];
  const witness = await mqtt.connectAsync(broker.url, { clientId: `burst-kill-witness-${process.pid}-${repeat}`, clean: false, reconnectPeriod: 100 });
  witness.on('error', () => {});
  witness.on('message', (_t, p) => deliveries.push({ ts: Number(/"ts":(\d+)/.exec(p.toString())?.[1]), at: performance.now() }));
  await witness.subscribeAsync(topic, { qos: 1 });
  return { work, broker, vigil, connectedAt, pub, witness, deliveries, topic };
}

/** Publish every line at the kill rate, paced by the wall clock in 5 ms steps; the kill and the restart happen on the way. */
async function publishThroughCrash(rig: KillRig, lines: string[], o: KillOptions): Promise<Crash> {
  const crash: Crash = { killedAt: Infinity, restartedAt: 0, outageS: 0 };
  const killAt = Math.floor(lines.length / 3);
  const t0 = performance.now();
  let sent = 0;
  let crashing: Promise<void> | undefined;
  while (sent < lines.length) {
    const due = Math.min(lines.length, Math.floor(((performance.now() - t0) / 1000) * o.rate));
    for (; sent < due; sent++) rig.pub.publish(rig.topic, lines[sent], { qos: 1 });
    if (!crashing && sent >= killAt) {
      crashing = (async () => {
        const k = performance.now();
        await rig.broker.kill9();
        crash.killedAt = performance.now();
        await new Promise((r) => setTimeout(r, o.outageS * 1000));
        await rig.broker.restart();
        crash.restartedAt = performance.now();
        crash.outageS = (crash.restartedAt - k) / 1000;
      })();
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await crashing;
  return crash;
}

/** Poll vigil until every window expected was scored and none waits, or nothing changed for 15 s; s from the restart to the last window scored. */
async function drainTime(opsUrl: string, before: Record<string, number>, expected: number, restartedAt: number): Promise<number> {
  let after = before;
  let last = -1;
  let lastChange = performance.now();
  let drainS = NaN;
  while (performance.now() - lastChange < 15_000) {
    await new Promise((r) => setTimeout(r, 20));
    after = await scrape(opsUrl).catch(() => after);
    const scored = delta(before, after, 'vigil_windows_scored_total');
    if (scored !== last) {
      last = scored;
      lastChange = performance.now();
      drainS = (performance.now() - restartedAt) / 1000;
    }
    if (scored >= expected && (after.vigil_pending_windows ?? 0) === 0) break;
  }
  return drainS;
}

/** N readings at QoS 1 through a broker that is killed (SIGKILL) a third of the way in and restarted. */
export async function throughKill(model: string, lines: string[], repeat: number, o: KillOptions): Promise<KillRun> {
  const rig = await startRig(model, repeat, o);
  const { vigil, connectedAt } = rig;
  const before = await scrape(vigil.opsUrl);
  const reasons0 = droppedByReason((await scrapeSeries(vigil.opsUrl)).series);
  const { killedAt, restartedAt, outageS } = await publishThroughCrash(rig, lines, o);
  const expected = lines.length - (o.window - 1);
  const drainS = await drainTime(vigil.opsUrl, before, expected, restartedAt);
  await new Promise((r) => setTimeout(r, 300));
  const after = await scrape(vigil.opsUrl);
  const reasons1 = droppedByReason((await scrapeSeries(vigil.opsUrl)).series);
  await rig.pub.endAsync().catch(() => {});
  await rig.witness.endAsync().catch(() => {});
  await vigil.stop();
  await rig.broker.stop();
  const formed = delta(before, after, 'vigil_windows_total');
  const scored = delta(before, after, 'vigil_windows_scored_total');
  const batches = delta(before, after, 'vigil_batch_size_count');
  const disorder = disorderOf(rig.deliveries);
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

/** The kill runs' note (what was met), table and figure for the result file. */
export function killReport(kills: KillRun[], o: KillOptions) {
  const { readings: N, window: W, rate: KILL_RATE, repeats: KILL_REPEATS, outageS: OUTAGE_S, reorderMs: REORDER_MS, reconnect: RECONNECT } = o;
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
  return { killNote, killTable, killFigure };
}
