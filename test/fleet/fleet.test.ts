/**
 * Scale-out: three worker processes (startRuntime, what `vigil run` runs) share one sensor fleet on a private
 * Mosquitto with sticky partitions. Every reading is processed exactly once, no sensor is split across
 * workers, a worker killed with SIGKILL has its sensors picked up by the others (with the thresholds it last
 * published), and the survivors keep theirs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionBridge } from '../../runtime/fleet/bridge.ts';
import { ownerOf, partitionOf, partitionTopic } from '../../runtime/fleet/partition.ts';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { startMosquitto, type TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const P = 12;
const WORKERS = ['w-a', 'w-b', 'w-c'];
const SENSORS = Array.from({ length: 60 }, (_, i) => `pump-${String(i).padStart(2, '0')}`);
const TEMPLATE = 'sensors/{partition}/{sensor}/data';

interface Worker {
  id: string;
  proc: ChildProcess;
  view?: { members: string[]; owned: number[]; settled: boolean };
  /** Partitions whose subscriptions the broker has confirmed, sorted. */
  subscribed?: number[];
  /** `sensor@ts` of every reading it decoded. */
  readings: string[];
  ready: boolean;
  /** The fleet part of /health when the worker reported ready. */
  health?: { group: string; worker: string };
  exited: boolean;
  stderr: string;
}

let dir: string;
let mosq: TestMosquitto;
const workers = new Map<string, Worker>();

function spawnWorker(id: string, model: string): Worker {
  const cfg = {
    model,
    broker: { url: mosq.url, clientId: id },
    source: { topics: [TEMPLATE], qos: 1 },
    batch: { maxPendingBytes: Number.MAX_SAFE_INTEGER },
    fleet: { group: 'line-1', partitions: P, heartbeatMs: 200, leaseMs: 2000, settleMs: 600, stateIntervalMs: 200 },
    metrics: { port: null },
    state: { file: null },
    reload: { watch: false },
  };
  const file = join(dir, `${id}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  const proc = spawn(process.execPath, ['bin/run-ts.mjs', 'test/fleet/worker.ts', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const w: Worker = { id, proc, readings: [], ready: false, exited: false, stderr: '' };
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let m: { e: string; s?: string; t?: number; members?: string[]; owned?: number[]; settled?: boolean; partitions?: number[]; health?: Worker['health'] };
    try {
      m = JSON.parse(line);
    } catch {
      return;
    }
    if (m.e === 'r') w.readings.push(`${m.s}@${m.t}`);
    else if (m.e === 'view') w.view = { members: m.members!, owned: m.owned!, settled: m.settled! };
    else if (m.e === 'subscribed') w.subscribed = m.partitions!;
    else if (m.e === 'ready') {
      w.ready = true;
      w.health = m.health;
    }
  });
  proc.stderr!.on('data', (d) => (w.stderr += d));
  proc.once('exit', () => (w.exited = true));
  workers.set(id, w);
  return w;
}

/**
 * True when the live workers agree on `members`, their owned partitions cover 0..P-1 exactly once, and the
 * broker has confirmed each worker's subscriptions to what it owns (else a round published now could reach
 * no subscriber: the view changes before the SUBACK).
 */
function converged(members: string[]): boolean {
  const live = members.map((m) => workers.get(m)!);
  if (live.some((w) => !w.view?.settled || w.view.members.join() !== members.join())) return false;
  if (live.some((w) => w.subscribed?.join() !== w.view!.owned.join())) return false;
  const owned = live.flatMap((w) => w.view!.owned).sort((a, b) => a - b);
  return owned.join() === Array.from({ length: P }, (_, i) => i).join();
}

function viewState() {
  return [...workers.values()].map((w) => ({ id: w.id, exited: w.exited, view: w.view, subscribed: w.subscribed, readings: w.readings.length, err: w.stderr.slice(-300) }));
}

/** Which worker processed each reading of `phase`, from the readings seen since `mark`. */
function attribution(mark: Map<string, number>) {
  const bySensor = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  for (const w of workers.values()) {
    for (const key of w.readings.slice(mark.get(w.id) ?? 0)) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const s = key.split('@')[0];
      if (!bySensor.has(s)) bySensor.set(s, new Set());
      bySensor.get(s)!.add(w.id);
    }
  }
  return { bySensor, counts };
}

const marks = () => new Map([...workers.values()].map((w) => [w.id, w.readings.length]));
const total = (mark: Map<string, number>) => [...workers.values()].reduce((n, w) => n + w.readings.length - (mark.get(w.id) ?? 0), 0);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-fleet-'));
  mosq = await startMosquitto({ persistence: false });
});

afterAll(async () => {
  for (const w of workers.values()) if (!w.exited) w.proc.kill('SIGKILL');
  await Promise.all([...workers.values()].map((w) => (w.exited ? undefined : new Promise((r) => w.proc.once('exit', r)))));
  await mosq?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fleet of three workers on Mosquitto', () => {
  it('processes every reading exactly once, never splits a sensor, and survives a SIGKILLed worker', { timeout: 120_000 }, async () => {
    const model = writeTinyModel(join(dir, 'model'), { window: 4, channels: ['a', 'b'], threshold: 100 });
    for (const id of WORKERS) spawnWorker(id, model);
    await waitFor(() => converged(WORKERS), 'three workers to agree on the partitions', 60_000, viewState);
    await waitFor(() => WORKERS.every((id) => workers.get(id)!.ready), 'three workers ready', 30_000, viewState);
    for (const id of WORKERS) expect(workers.get(id)!.health).toMatchObject({ group: 'line-1', worker: id });

    const pub: MqttClient = await mqtt.connectAsync(mosq.url, { clientId: 'fleet-pub' });
    const t0 = Date.now() - 3_600_000;
    let seq = 0;
    const publishRound = async (rounds: number, topicOf: (s: string) => string) => {
      for (let r = 0; r < rounds; r++) {
        seq++;
        await Promise.all(SENSORS.map((s) => pub.publishAsync(topicOf(s), JSON.stringify({ ts: t0 + seq * 1000, values: { a: r, b: 1 } }), { qos: 1 })));
      }
    };

    // Phase 1: all three workers.
    let mark = marks();
    await publishRound(10, (s) => partitionTopic(TEMPLATE, s, P));
    await waitFor(() => total(mark) >= SENSORS.length * 10, 'phase 1 readings', 30_000, viewState);
    const p1 = attribution(mark);
    expect(p1.counts.size).toBe(SENSORS.length * 10);
    expect([...p1.counts.values()].every((n) => n === 1)).toBe(true);
    const owner1 = new Map<string, string>();
    for (const s of SENSORS) {
      const ws = [...(p1.bySensor.get(s) ?? [])];
      expect(ws, `sensor ${s}`).toHaveLength(1);
      owner1.set(s, ws[0]);
      expect(ws[0]).toBe(ownerOf(partitionOf(s, P), WORKERS));
    }
    for (const id of WORKERS) expect([...owner1.values()].filter((w) => w === id).length).toBeGreaterThan(5);

    // Every sensor's threshold state has been handed over at least once (retained per partition).
    const watch = await mqtt.connectAsync(mosq.url, { clientId: 'fleet-state-watch' });
    const published = new Set<string>();
    watch.on('message', (_t, p) => {
      if (p.length) for (const s of Object.keys((JSON.parse(p.toString()) as { states: object }).states)) published.add(s);
    });
    await watch.subscribeAsync('vigil/fleet/line-1/state/+', { qos: 1 });
    await waitFor(() => SENSORS.every((s) => published.has(s)), 'partition states of every sensor', 10_000, () => published.size);
    await watch.endAsync();

    // Phase 2: kill the worker with the most sensors; the survivors take over its partitions.
    const victim = WORKERS.reduce((a, b) => ([...owner1.values()].filter((w) => w === a).length >= [...owner1.values()].filter((w) => w === b).length ? a : b));
    const survivors = WORKERS.filter((w) => w !== victim);
    workers.get(victim)!.proc.kill('SIGKILL');
    await waitFor(() => workers.get(victim)!.exited && converged(survivors), 'survivors to take over the partitions', 30_000, viewState);

    // Publishers that cannot hash go through the partition bridge.
    const bridgeClient = await mqtt.connectAsync(mosq.url, { clientId: 'fleet-bridge' });
    const bridge = partitionBridge(bridgeClient, { from: 'raw/{sensor}/data', to: TEMPLATE, partitions: P, qos: 1 });
    await bridge.ready;
    mark = marks();
    await publishRound(10, (s) => `raw/${s}/data`);
    await waitFor(() => total(mark) >= SENSORS.length * 10, 'phase 2 readings', 30_000, () => ({ views: viewState(), bridge: bridge.stats }));
    const p2 = attribution(mark);
    expect(p2.counts.size).toBe(SENSORS.length * 10);
    expect([...p2.counts.values()].every((n) => n === 1)).toBe(true);
    expect(workers.get(victim)!.readings.length - (mark.get(victim) ?? 0)).toBe(0);
    let moved = 0;
    for (const s of SENSORS) {
      const ws = [...(p2.bySensor.get(s) ?? [])];
      expect(ws, `sensor ${s}`).toHaveLength(1);
      expect(survivors).toContain(ws[0]);
      if (owner1.get(s) === victim) moved++;
      // Sticky: sensors of the survivors stay where they were.
      else expect(ws[0]).toBe(owner1.get(s));
    }
    expect(moved).toBeGreaterThan(5);
    // ... and adopted the thresholds the dead worker had published for them.
    const adopted = survivors
      .flatMap((id) => workers.get(id)!.stderr.split('\n'))
      .filter((l) => l.includes('adopted sensor states'))
      .map((l) => JSON.parse(l) as { from: string; sensors: number });
    expect(adopted.filter((x) => x.from === victim).reduce((n, x) => n + x.sensors, 0)).toBe(moved);
    expect(bridge.stats.forwarded).toBe(SENSORS.length * 10);

    // Phase 3: a worker leaving gracefully (SIGTERM) hands over at once, before its lease would expire.
    const leaver = survivors[0];
    const last = survivors[1];
    const leftAt = Date.now();
    workers.get(leaver)!.proc.kill('SIGTERM');
    await waitFor(() => converged([last]), 'the last worker to own everything', 30_000, viewState);
    expect(Date.now() - leftAt).toBeLessThan(10_000);
    mark = marks();
    await publishRound(5, (s) => partitionTopic(TEMPLATE, s, P));
    await waitFor(() => total(mark) >= SENSORS.length * 5, 'phase 3 readings', 30_000, viewState);
    const p3 = attribution(mark);
    expect(p3.counts.size).toBe(SENSORS.length * 5);
    expect([...p3.counts.values()].every((n) => n === 1)).toBe(true);
    expect([...p3.bySensor.values()].every((ws) => ws.size === 1 && ws.has(last))).toBe(true);

    bridge.stop();
    await bridgeClient.endAsync();
    await pub.endAsync();
    console.log(`fleet: phase 1 ${SENSORS.length * 10} readings on 3 workers, killed ${victim} (${moved} sensors moved), phase 2 ${SENSORS.length * 10} on 2, phase 3 ${SENSORS.length * 5} on 1; exactly once throughout`);
  });
});
