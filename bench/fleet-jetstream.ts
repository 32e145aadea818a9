/**
 * The JetStream fleet at the issue's size (issue 19): 1,000 sensors x 20 readings = 20,000 readings, a window-4
 * model (tiny fixture: channel means, static threshold 20, a spike of 40 on about 1 reading in 17), 16 partitions,
 * the shipped lease timing (6 s lease, 2 s renewal), on a private nats-server (own port and store) and a bench
 * Mosquitto. All in one run, so the ratios compare like with like on this machine:
 *  1. throughput: the same 20,000 readings published back to back over MQTT (QoS 1) into (a) `vigil run` as shipped
 *     (single gateway; done when /metrics counts every window scored), (b) `vigil fleet bridge --jetstream` + 1
 *     worker, (c) the bridge + 3 workers (done when every stream sequence has its verdict; (b) is also the control),
 *     and the workers alone on a backlog: (d) 1 and (e) 3 workers started on a stream that already holds the data.
 *  2. hand-overs: 3 workers judge the readings published straight into JetStream at --rate/s; one is killed with
 *     SIGKILL mid-stream, a fourth joins, one stops with SIGTERM. Checks: every reading's verdict exactly once
 *     (counted by stream sequence in the results stream), alerts equal to the control's, every verdict's score
 *     equal to the control's for the same sensor and time (a window with a hole would score differently), and
 *     hand-over time per partition (kill or SIGTERM -> that partition's next verdict by the new owner).
 * Writes bench/results/fleet-jetstream.json and prints a table. Exit 1 when a check fails.
 *
 *   node bin/run-ts.mjs bench/fleet-jetstream.ts [--sensors 1000] [--rounds 20] [--rate 2000] [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { JetStreamFleetSchema } from '../runtime/fleet/jetstream/config.ts';
import { openFleetNats, type FleetNats } from '../runtime/fleet/jetstream/streams.ts';
import { fleetStatus } from '../runtime/fleet/jetstream/status.ts';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { startNatsServer } from '@vigil/fixtures/nats-server.ts';
import { startBroker } from './lib/broker.ts';
import { cliArg } from './lib/child.ts';
import { connectNoDelay } from './lib/mqtt.ts';
import { machineInfo, writeBenchResult } from './lib/result.ts';
import { median } from './lib/stats.ts';
import { delta, ROOT, scrape, startVigil } from './lib/vigil.ts';
import { handoverMs, payloadOf, publishRounds, spawnBridge, spawnWorker, type DataSet, type Group, untilJudged } from './fleet-jetstream/fleet.ts';
import { endWorker, type WorkerProc } from '@vigil/fixtures/jetstream-worker.ts';
import { outcomeOf, type GroupOutcome } from '@vigil/fixtures/fleet-outcome.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const QUICK = process.argv.includes('--quick');
const SENSORS = Number(cliArg('sensors', QUICK ? '300' : '1000'));
const ROUNDS = Number(cliArg('rounds', '20'));
const RATE = Number(cliArg('rate', '2000'));
const P = 16;
const W = 4;
const data: DataSet = { sensors: Array.from({ length: SENSORS }, (_, i) => `pump-${String(i).padStart(4, '0')}`), rounds: ROUNDS };
const READINGS = SENSORS * ROUNDS;
const VERDICTS = SENSORS * (ROUNDS - W + 1);
const log = (s: string) => process.stderr.write(`fleet-jetstream: ${s}\n`);

const started = new Date();
const load0 = loadavg()[0];
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-jsfleet-'));
const model = writeTinyModel(join(dir, 'model'), { window: W, channels: ['a', 'b'], threshold: 20 });
const nats = await startNatsServer();
const broker = await startBroker();
const groupOf = (name: string): Group => ({ group: name, prefix: name, stream: `${name.toUpperCase()}_READINGS`, results: `${name.toUpperCase()}_RESULTS`, servers: nats.url, partitions: P });
const opened: FleetNats[] = [];
const open = async (g: Group) => {
  const n = await openFleetNats(JetStreamFleetSchema.parse({ servers: g.servers, prefix: g.prefix, stream: g.stream, results: g.results }), g.group, `bench-${g.group}`);
  opened.push(n);
  return n;
};
// Every partition owned and every live worker holding some (fair share is ceil(P / members): 16 over 3 may settle 6/6/4).
const shared = (ws: WorkerProc[]) => ws.filter((w) => !w.exited).reduce((a, w) => a + w.owned.length, 0) === P && ws.every((w) => w.exited || w.owned.length > 0);
const state = (ws: WorkerProc[]) => () => ws.map((w) => `${w.id}: owned ${w.owned.join(',')} judged ${w.verdicts.length} exited ${w.exited} ${w.stderr.slice(-300)}`);

/** Publish the data set over MQTT (QoS 1, as fast as mqtt.js goes) on `topic(sensor)`; returns the start time. */
async function publishMqtt(topic: (s: string) => string): Promise<number> {
  const pub = await connectNoDelay(broker.url, `bench-pub-${process.pid}-${topic('x')}`);
  const t0 = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let r = 0; r < ROUNDS; r++) data.sensors.forEach((s, i) => sends.push(pub.publishAsync(topic(s), Buffer.from(payloadOf(i, r)), { qos: 1 })));
  await Promise.all(sends);
  await pub.endAsync();
  return t0;
}

interface Throughput {
  path: string;
  seconds: number;
  readingsPerS: number;
  judged: number;
  /** Fleet runs fed by the bridge: first publish -> the readings stream holds every reading. */
  storedS?: number;
}

/** performance.now() when `stream` first holds `count` messages (polled every 50 ms). */
async function storedAt(n: FleetNats, stream: string, count: number): Promise<number> {
  for (const deadline = Date.now() + 180_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    if ((await n.jsm.streams.info(stream)).state.messages >= count) return performance.now();
  }
  return NaN;
}

/** (a) `vigil run` as shipped, one gateway on the bench Mosquitto. */
async function gatewayRun(): Promise<Throughput> {
  const vigil = await startVigil({ launcher: [process.execPath, join(ROOT, 'bin/vigil.mjs')], model, broker: broker.url, topic: 'gw/{sensor}/data', work: dir });
  const before = await scrape(vigil.opsUrl);
  const t0 = await publishMqtt((s) => `gw/${s}/data`);
  let scored = 0;
  const deadline = Date.now() + 120_000;
  let end = performance.now();
  while (Date.now() < deadline) {
    const now = await scrape(vigil.opsUrl);
    const n = delta(before, now, 'vigil_windows_scored_total');
    if (n > scored) end = performance.now();
    scored = n;
    if (scored >= VERDICTS) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await vigil.stop();
  const seconds = (end - t0) / 1000;
  log(`gateway (vigil run, ${vigil.loader}): ${scored}/${VERDICTS} windows scored in ${seconds.toFixed(2)} s`);
  return { path: 'MQTT -> vigil run (single gateway)', seconds, readingsPerS: READINGS / seconds, judged: scored };
}

/** (b), (c): the bridge and `workers` JetStream workers of group `g`. */
async function fleetRun(g: Group, workers: number): Promise<Throughput> {
  const ws = Array.from({ length: workers }, (_, i) => spawnWorker(`w${i + 1}`, g, model, dir));
  const bridge: ChildProcess = spawnBridge(g, broker.url, `${g.prefix}/{sensor}/data`);
  let bridgeErr = '';
  const bridgeUp = new Promise<void>((res, rej) => {
    bridge.stderr!.on('data', (d) => ((bridgeErr = (bridgeErr + d).slice(-3000)), /Ctrl-C stops/.test(bridgeErr) && res()));
    bridge.once('exit', (c) => rej(new Error(`bridge exited (${c}): ${bridgeErr}`)));
  });
  await bridgeUp;
  await waitFor(() => shared(ws), `${g.group}: partitions shared`, 60_000, state(ws));
  const n = await open(g);
  const published = publishMqtt((s) => `${g.prefix}/${s}/data`);
  const stored = await storedAt(n, g.stream, READINGS);
  const t0 = await published;
  await untilJudged(n, g, VERDICTS, 180_000, ws);
  const end = Math.max(...ws.flatMap((w) => w.verdicts.map((v) => v.at)));
  await Promise.all(ws.map((w) => endWorker(w, 'SIGTERM')));
  bridge.kill('SIGTERM');
  const seconds = (end - t0) / 1000;
  log(`${g.group}: bridge + ${workers} worker(s): ${VERDICTS} judged in ${seconds.toFixed(2)} s (all stored after ${((stored - t0) / 1000).toFixed(2)} s)`);
  return { path: `MQTT -> bridge -> JetStream -> ${workers} worker${workers > 1 ? 's' : ''}`, seconds, readingsPerS: READINGS / seconds, judged: VERDICTS, storedS: (stored - t0) / 1000 };
}

/** (d) the workers alone: the readings already in the stream, `workers` started on it; partitions owned -> last verdict. */
async function backlogRun(g: Group, workers: number): Promise<Throughput> {
  const n = await open(g);
  await publishRounds(n, data, P, 0, ROUNDS);
  const ws = Array.from({ length: workers }, (_, i) => spawnWorker(`w${i + 1}`, g, model, dir));
  // From the first worker owning a partition: the first one up may judge much of the backlog before the others join.
  await waitFor(() => ws.some((w) => w.owned.length > 0), `${g.group}: a worker owns partitions`, 60_000, state(ws));
  const t0 = Math.min(...ws.map((w) => w.ownedAt ?? Infinity));
  await untilJudged(n, g, VERDICTS, 180_000, ws);
  const end = Math.max(...ws.flatMap((w) => w.verdicts.map((v) => v.at)));
  await Promise.all(ws.map((w) => endWorker(w, 'SIGTERM')));
  const seconds = (end - t0) / 1000;
  log(`${g.group}: backlog, ${workers} worker(s): ${VERDICTS} judged in ${seconds.toFixed(2)} s`);
  return { path: `JetStream backlog -> ${workers} worker${workers > 1 ? 's' : ''} (no bridge)`, seconds, readingsPerS: READINGS / seconds, judged: VERDICTS };
}

/** 2. The hand-over run: kill -9, join, graceful stop while readings flow. */
async function handoverRun(g: Group) {
  const n = await open(g);
  const [a, b, c] = ['w-a', 'w-b', 'w-c'].map((id) => spawnWorker(id, g, model, dir));
  const all = [a, b, c];
  await waitFor(() => shared(all), 'partitions shared by 3', 60_000, state(all));
  const third = Math.round(ROUNDS / 3);
  const t0 = performance.now();
  await publishRounds(n, data, P, 0, third, RATE);
  await waitFor(() => b.verdicts.length > 0, 'w-b judging', 30_000, state(all));
  const killed = { at: performance.now(), owned: [...b.owned] };
  b.proc.kill('SIGKILL');
  log(`killed w-b (owned ${killed.owned.join(',')})`);
  await publishRounds(n, data, P, third, 2 * third, RATE);
  await waitFor(() => a.owned.length + c.owned.length === P, "w-b's partitions taken over", 60_000, state(all));
  const d = spawnWorker('w-d', g, model, dir);
  all.push(d);
  await waitFor(() => d.owned.length > 0, 'w-d owns partitions', 60_000, state(all));
  const joined = { at: d.readyAt!, owned: [...d.owned] };
  await publishRounds(n, data, P, 2 * third, Math.round(2.5 * third), RATE);
  const stopped = { at: performance.now(), owned: [...a.owned] };
  a.proc.kill('SIGTERM');
  log(`SIGTERM w-a (owned ${stopped.owned.join(',')})`);
  await publishRounds(n, data, P, Math.round(2.5 * third), ROUNDS, RATE);
  await waitFor(() => a.exited, 'w-a stopped', 60_000, state(all));
  await untilJudged(n, g, VERDICTS, 180_000, all);
  const seconds = (Math.max(...all.flatMap((w) => w.verdicts.map((v) => v.at))) - t0) / 1000;
  const status = await fleetStatus(n, g.stream, P);
  const repeatsDropped = all.flatMap((w) => w.verdicts).filter((v) => v.dup).length;
  await Promise.all(all.map((w) => endWorker(w, 'SIGTERM')));
  return {
    seconds,
    repeatsDropped,
    kill: handoverMs(b, killed.owned, killed.at, all),
    stop: handoverMs(a, stopped.owned, stopped.at, all),
    join: joined.owned.map((k) => Math.min(...d.verdicts.filter((v) => v.k === k).map((v) => v.at)) - joined.at),
    handovers: status.partitions.reduce((x, p) => x + p.handovers, 0),
    pendingAfter: status.partitions.reduce((x, p) => x + (p.pending ?? 0), 0),
    outcome: await outcomeOf(n, g, W),
  };
}

let failed = false;
try {
  log(`${SENSORS} sensors x ${ROUNDS} rounds = ${READINGS} readings, window ${W} (${VERDICTS} verdicts), ${P} partitions; load average ${load0.toFixed(1)} on ${machineInfo().cores} cores`);
  const gw = await gatewayRun();
  const ctlGroup = groupOf('ctl');
  const one = await fleetRun(ctlGroup, 1);
  const three = await fleetRun(groupOf('tp3'), 3);
  const back1 = await backlogRun(groupOf('bl1'), 1);
  const back3 = await backlogRun(groupOf('bl3'), 3);
  const control: GroupOutcome = await outcomeOf(await open(ctlGroup), ctlGroup, W);
  const h = await handoverRun(groupOf('line'));
  const o = h.outcome;
  // float32 inference in batches of other sizes may differ in the last bits; a window with a hole differs by far more.
  const differing = [...control.scores].filter(([k, s]) => !(Math.abs((o.scores.get(k) ?? NaN) - s) <= 1e-4 * Math.max(1, Math.abs(s))));
  const scoreDiff = differing.length;
  const maxRelDiff = Math.max(0, ...[...control.scores].map(([k, s]) => Math.abs((o.scores.get(k) ?? NaN) - s) / Math.max(1, Math.abs(s))).filter(Number.isFinite));
  if (scoreDiff) log(`scores differing: ${differing.slice(0, 10).map(([k, s]) => `${k} ${s} vs ${o.scores.get(k)}`).join('; ')}`);
  const alertsEqual = o.alerts.length === control.alerts.length && o.alerts.every((x, i) => x === control.alerts[i]);
  const exact = o.readings === READINGS && o.once === VERDICTS && o.missing + o.repeated + o.unexpected === 0;
  const controlExact = control.once === VERDICTS && control.missing + control.repeated + control.unexpected === 0;
  failed = !(exact && controlExact && alertsEqual && scoreDiff === 0);
  const f = (xs: number[]) => (xs.length ? `${Math.round(median(xs))} / ${Math.round(Math.max(...xs))}` : '-');
  const throughput = [gw, one, three, back1, back3];
  const rows: Array<Array<string | number>> = [
    ...throughput.map((t) => [t.path, `${t.judged}/${VERDICTS}`, t.seconds.toFixed(2), t.storedS === undefined ? '-' : t.storedS.toFixed(2), Math.round(t.readingsPerS), (t.readingsPerS / gw.readingsPerS).toFixed(2)]),
  ];
  const checks: Array<Array<string | number>> = [
    ['readings in the stream', `${o.readings} / ${READINGS}`],
    ['verdicts exactly once (by stream sequence)', `${o.once} / ${VERDICTS}`],
    ['missing / repeated / unexpected', `${o.missing} / ${o.repeated} / ${o.unexpected}`],
    ['repeats dropped by Nats-Msg-Id', h.repeatsDropped],
    ['alerts equal to the 1-worker control', `${alertsEqual} (${o.alerts.length} vs ${control.alerts.length})`],
    ['scores differing from the control (window holes)', `${scoreDiff} of ${control.scores.size} (largest relative difference ${maxRelDiff.toExponential(1)})`],
    ['hand-over after kill -9, ms (median / max per partition)', `${f(h.kill)} over ${h.kill.length} partitions`],
    ['hand-over after SIGTERM, ms (median / max)', `${f(h.stop)} over ${h.stop.length} partitions`],
    ['join: ready -> first verdict, ms (median / max)', `${f(h.join)} over ${h.join.length} partitions`],
    ['hand-overs counted by status; pending after', `${h.handovers}; ${h.pendingAfter}`],
  ];
  const load1 = loadavg()[0];
  const table = (cols: string[], rs: Array<Array<string | number>>) => [cols.join(' | '), ...rs.map((r) => r.join(' | '))].join('\n');
  process.stdout.write(`\n${table(['path', 'judged', 's', 'stored s', 'readings/s', 'x gateway'], rows)}\n\n${table(['hand-over run (3 workers, kill -9, join, SIGTERM)', 'result'], checks)}\n\nload average ${load0.toFixed(1)} -> ${load1.toFixed(1)} on 2 shared cores; ${failed ? 'FAILED' : 'all checks pass'}\n`);
  writeBenchResult({
    name: 'fleet-jetstream',
    title: `JetStream fleet: ${READINGS.toLocaleString('en')} readings of ${SENSORS.toLocaleString('en')} sensors, exactly once across kill -9 / join / SIGTERM; throughput vs one gateway`,
    machine: machineInfo(),
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    notes: [
      `Everything on one machine (publisher, Mosquitto, nats-server 2.9 with a private store, bridge, workers, gateway) with other sessions' work beside it: load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end, 2 cores. Absolute rates are this machine's; ratios are within this run.`,
      `Model: tiny window-mean AE, window ${W}, 2 channels, static threshold 20; ${P} partitions; shipped lease timing (leaseMs 6000, renewMs 2000, fetchBatch 256). Hand-over after a kill is bound by the lease TTL; after SIGTERM by the others' next renewal beat.`,
      `Throughput: the same ${READINGS} readings published back to back over MQTT QoS 1; time from the first publish to the last verdict. The bridge runs as shipped (MQTT 3.1.1, so Mosquitto's max_inflight_messages, 20, bounds the messages it holds open; window 512): publishes pipelined, one per sensor at a time, each PUBACK after its store; 'bridge stored all' is when the readings stream held every reading. The backlog rows time the workers alone: the readings already in the stream, workers started together, from the first worker owning a partition to the last verdict (the first one up takes every partition and gives the surplus up as the others join).`,
      `Hand-over run: readings straight into JetStream at ${RATE}/s; w-b killed with SIGKILL after the first third, w-d joins after the second, w-a stops with SIGTERM mid-way through the last third.`,
    ],
    tables: [
      { title: 'throughput: first publish -> last verdict', columns: ['path', 'judged', 'seconds', 'bridge stored all (s)', 'readings/s', 'x gateway'], rows },
      { title: 'hand-over run: 3 workers, kill -9, join, graceful stop', columns: ['check', 'result'], rows: checks },
    ],
    figures: [
      { id: 'fleet-jetstream-throughput', title: 'readings/s, first publish -> last verdict (same data, same run)', kind: 'bar', xLabel: 'path', yLabel: 'readings/s', categories: throughput.map((t) => t.path), series: [{ name: 'readings/s', points: throughput.map((t, i) => [i, t.readingsPerS]) }] },
      { id: 'fleet-jetstream-handover', title: 'hand-over time per partition (ms)', kind: 'bar', xLabel: 'event', yLabel: 'ms', categories: ['kill -9', 'SIGTERM', 'join'], series: [{ name: 'median', points: [h.kill, h.stop, h.join].map((xs, i) => [i, xs.length ? median(xs) : 0]) }, { name: 'max', points: [h.kill, h.stop, h.join].map((xs, i) => [i, xs.length ? Math.max(...xs) : 0]) }] },
    ],
    data: { sensors: SENSORS, rounds: ROUNDS, readings: READINGS, verdicts: VERDICTS, partitions: P, rate: RATE, throughput, handover: { ...h, outcome: { ...o, scores: undefined, alerts: o.alerts.length } }, control: { once: control.once, alerts: control.alerts.length }, scoreDiff, maxRelDiff, differing: differing.slice(0, 20), alertsEqual, loadavg: [load0, load1] },
  });
} catch (err) {
  failed = true;
  log(`error: ${(err as Error).stack}`);
} finally {
  for (const n of opened) await n.close();
  await nats.stop();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
