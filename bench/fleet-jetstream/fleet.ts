/**
 * The parts of bench/fleet-jetstream.ts: the data set (sensors x rounds, a spike now and then), JetStream fleet
 * worker processes (fixtures/jetstream-worker.ts) whose owned partitions and verdicts are stamped with this
 * process's clock as they arrive, the bridge as `vigil fleet bridge --jetstream`, and the wait for a group's
 * verdicts (what they hold afterwards: fixtures/fleet-outcome.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { partitionOf } from '../../runtime/fleet/partition.ts';
import { readingMsgId } from '../../runtime/fleet/jetstream/bridge.ts';
import type { FleetNats } from '../../runtime/fleet/jetstream/streams.ts';
import { fleetStatus, storedCount } from '../../runtime/fleet/jetstream/status.ts';
import { ROOT } from '../lib/vigil.ts';
import { spawnJetStreamWorker, type WorkerProc } from '@vigil/fixtures/jetstream-worker.ts';

/** The data set: `sensors` sensors, `rounds` readings each, round-major (every sensor once per round). */
export interface DataSet {
  sensors: string[];
  rounds: number;
}

const T0 = Date.UTC(2026, 0, 1);

/** Reading `r` of sensor `i` as JSON: channel a in [0, 1) with a spike of 40 on about 1 reading in 17, b constant. */
export function payloadOf(i: number, r: number): Uint8Array {
  const a = (r + i * 7) % 17 === 0 ? 40 : ((r * 13 + i) % 10) / 10;
  return new TextEncoder().encode(JSON.stringify({ ts: T0 + r * 1000, values: { a, b: 1 } }));
}

/** Publish rounds [from, to) straight into a group's readings subjects, as the bridge would; `ratePerS` paces it. */
export async function publishRounds(n: FleetNats, data: DataSet, partitions: number, from: number, to: number, ratePerS = Infinity): Promise<void> {
  const t0 = performance.now();
  for (let r = from; r < to; r++) {
    await Promise.all(data.sensors.map((s, i) => {
      const payload = payloadOf(i, r);
      return n.js.publish(n.names.readings(partitionOf(s, partitions), s), payload, { msgID: readingMsgId(s, payload) });
    }));
    const due = ((r - from + 1) * data.sensors.length * 1000) / ratePerS;
    const wait = due - (performance.now() - t0);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }
}

/** Settings of one group on the bench's nats-server. */
export interface Group {
  group: string;
  prefix: string;
  stream: string;
  results: string;
  servers: string;
  partitions: number;
  /** fleet.jetstream keys beyond the names (lease timing); defaults of the schema otherwise. */
  jetstream?: Record<string, unknown>;
}

/** Start a worker of `g` on `model`, its config in `dir`. */
export function spawnWorker(id: string, g: Group, model: string, dir: string): WorkerProc {
  const jetstream = { servers: g.servers, prefix: g.prefix, stream: g.stream, results: g.results, ...g.jetstream };
  return spawnJetStreamWorker({ id, model, group: g.group, partitions: g.partitions, jetstream, dir });
}

/** `vigil fleet bridge --jetstream` as users start it, from `from` on `broker` into group `g`. */
export function spawnBridge(g: Group, broker: string, from: string): ChildProcess {
  const args = ['fleet', 'bridge', '--jetstream', '-b', broker, '--from', from, '-g', g.group, '-p', String(g.partitions), '--nats', g.servers, '--subject-prefix', g.prefix, '--stream', g.stream, '--results', g.results, '--client-id', `bench-bridge-${g.group}`];
  const proc = spawn(process.execPath, [join(ROOT, 'bin/vigil.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  process.once('exit', () => proc.kill('SIGKILL'));
  return proc;
}

/**
 * Resolve once `g`'s results stream holds `count` verdicts (polled every 100 ms; the workers' own reports miss the
 * verdicts a killed worker stored but never heard acked); on a timeout, reject with the fleet's status.
 */
export async function untilJudged(n: FleetNats, g: Group, count: number, ms: number, ws: WorkerProc[]): Promise<void> {
  const deadline = Date.now() + ms;
  let got = 0;
  while ((got = await storedCount(n.jsm, g.results, `${g.prefix}.verdicts.>`)) < count) {
    if (Date.now() > deadline) {
      const status = await fleetStatus(n, g.stream, g.partitions);
      throw new Error(`${g.group}: ${got} of ${count} verdicts after ${ms} ms; status ${JSON.stringify(status)}; ${ws.map((w) => `${w.id} owned ${w.owned.join(',')} exited ${w.exited}`).join('; ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Hand-over time of each partition `from` owned at `t`: `t` -> the first verdict of that partition by another
 * worker after `t` (ms; NaN when none came).
 */
export function handoverMs(from: WorkerProc, owned: number[], t: number, others: WorkerProc[]): number[] {
  return owned.map((k) => {
    const next = others.filter((w) => w !== from).flatMap((w) => w.verdicts.filter((v) => v.k === k && v.at > t)).reduce((a, v) => Math.min(a, v.at), Infinity);
    return next === Infinity ? NaN : next - t;
  });
}
