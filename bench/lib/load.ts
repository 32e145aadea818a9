/**
 * The offered load of the shipped-runtime benches (sustained, overload, soak): SENSORS sensors published round-robin
 * on `PREFIX/sNNNNN/data` (vigil subscribes `PREFIX/+/data`), each reading's `ts` the wall clock at publish (ms, kept
 * increasing per sensor), rows of the bench model's training CSV; one reading in `spikePeriod` of each sensor (past
 * its first window, at a phase of its own) is a spike (values x3). Paced by the wall clock with a 1 ms timer,
 * catching up on the schedule when the timer is late. Also: vigil's backlog against it, and helper processes (bare
 * subscriber, alert listener).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { MqttClient } from 'mqtt';
import { ROOT, readingJson, scrape } from './vigil.ts';

/** What `sensorLoad` publishes. */
export interface LoadOptions {
  prefix: string;
  sensors: number;
  channels: string[];
  rows: number[][];
  /** The model's window: no spike before a sensor's first window is full. */
  window: number;
  spikePeriod: number;
  qos: 0 | 1;
  /** One unreadable message (`{"ts": garbage`) after every this many readings, on the same topic (0: none). */
  garbageEvery?: number;
}

/** A round-robin paced publisher over many sensors. */
export interface SensorLoad {
  /** Readings published so far (garbage not counted). */
  readonly sent: number;
  /** Unreadable messages published so far. */
  readonly garbage: number;
  publishOne(): void;
  /** Publish at `rate` readings/s (a number, or read again at every tick) for `seconds`. */
  pace(rate: number | (() => number), seconds: number): Promise<void>;
}

/** Build the load on `pub` (a connected client, Nagle off: bench/lib/mqtt.ts). */
export function sensorLoad(pub: MqttClient, o: LoadOptions): SensorLoad {
  const row = new Array<number>(o.sensors).fill(0);
  const lastTs = new Array<number>(o.sensors).fill(0);
  const topics = Array.from({ length: o.sensors }, (_, s) => `${o.prefix}/s${String(s).padStart(5, '0')}/data`);
  let sent = 0;
  let garbage = 0;
  const publishOne = () => {
    const s = sent % o.sensors;
    const i = row[s]++;
    const ts = Math.max(Math.floor(Date.now()), lastTs[s] + 1);
    lastTs[s] = ts;
    const spike = i >= o.window && i % o.spikePeriod === (s * 7) % o.spikePeriod ? 3 : 1;
    pub.publish(topics[s], readingJson(o.channels, o.rows[(i + s * 37) % o.rows.length], ts, spike), { qos: o.qos });
    sent++;
    if (o.garbageEvery && sent % o.garbageEvery === 0) {
      pub.publish(topics[s], '{"ts": garbage', { qos: o.qos });
      garbage++;
    }
  };
  const pace = (rate: number | (() => number), seconds: number) =>
    new Promise<void>((done) => {
      const rateOf = typeof rate === 'number' ? () => rate : rate;
      const t0 = performance.now();
      let prev = t0;
      let due = 0;
      const tick = () => {
        const now = performance.now();
        if (now - t0 >= seconds * 1000) return done();
        due += ((now - prev) / 1000) * rateOf();
        prev = now;
        for (; due >= 1; due--) publishOne();
        setTimeout(tick, 1);
      };
      tick();
    });
  return {
    get sent() {
      return sent;
    },
    get garbage() {
      return garbage;
    },
    publishOne,
    pace,
  };
}

/** Readings sent but not yet decoded by vigil, plus windows waiting for inference. */
export const backlog = (m: Record<string, number>, sent: number): number => sent - (m.vigil_readings_decoded_total ?? 0) + (m.vigil_pending_windows ?? 0);

/** Resolve once vigil has decoded every reading sent and nothing waits for inference (reject after `ms`). */
export async function drain(url: string, load: SensorLoad, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (backlog(await scrape(url), load.sent) <= 0) return;
    if (Date.now() > end) throw new Error(`vigil did not drain its backlog within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A helper process (plain node, `script` relative to the repo root) whose stdout lines go to `onLine`; resolves at its "ready" line. */
export function helper(script: string, args: string[], onLine: (l: string) => void): Promise<ChildProcess> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const kill = () => p.kill('SIGKILL');
    process.once('exit', kill);
    p.once('exit', () => process.removeListener('exit', kill));
    createInterface({ input: p.stdout! }).on('line', (l) => (l === 'ready' ? done(p) : onLine(l)));
    p.once('exit', (code) => fail(new Error(`${script} exited ${code}`)));
  });
}

/** One `open` alert seen by the listener: receipt wall clock and the alert's `tsLast` (the reading's publish wall clock), ms. */
export interface AlertSeen {
  recv: number;
  ts: number;
}

/** Start bench/lib/alert-listener.mjs on `topic`; every `open` alert is pushed to the returned list. */
export async function listenAlerts(broker: string, topic: string): Promise<{ alerts: AlertSeen[]; proc: ChildProcess }> {
  const alerts: AlertSeen[] = [];
  const proc = await helper('bench/lib/alert-listener.mjs', [broker, topic], (l) => {
    const [recv, ts] = l.split(' ').map(Number);
    alerts.push({ recv, ts });
  });
  return { alerts, proc };
}

/** Publish -> alert latencies (ms) of the alerts whose reading was published in [from, to) (wall clock ms). */
export const alertLatencies = (alerts: AlertSeen[], from: number, to: number): number[] => alerts.filter((a) => a.ts >= from && a.ts < to).map((a) => a.recv - a.ts);
