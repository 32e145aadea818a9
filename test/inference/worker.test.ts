/**
 * onnxruntime-node in a worker thread (`inference.worker`): the same scores as on the main thread, intake that
 * keeps decoding while a slow model runs, a dead worker failing its calls like an inference error and started
 * again, provider fallback and hot reload as on the main thread.
 */
import { mkdtempSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import mqtt from 'mqtt';
import { firstValueFrom, from, lastValueFrom, Subject, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InferenceSession } from '../../runtime/inference/backend.ts';
import { openModel, reloadModel } from '../../runtime/inference/open-model.ts';
import { backendFor } from '../../runtime/inference/resolve.ts';
import { loadModel } from '../../runtime/model/load.ts';
import { createCodec } from '../../runtime/codecs/registry.ts';
import { decode } from '../../runtime/codecs/decode.ts';
import { mqttSource } from '../../runtime/mqtt/source.ts';
import { compileTopicTemplate, topicRouter } from '../../runtime/mqtt/topic-template.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { inferBatches } from '../../runtime/stream/infer-batches.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import type { SensorWindow } from '../../runtime/stream/types.ts';
import { testBroker, type TestBroker } from '../ops/aedes.ts';
import { mulberry32, randomDenseLayers, tinyModel, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const W = 8;
const C = 3;
const CH = ['a', 'b', 'c'];
const layers = randomDenseLayers(W, C, [16, 4, 16], 7);
const { card, onnx } = tinyModel({ window: W, channels: CH, layers });
const req = { onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: W, channels: C, threads: 1, spinning: false };

/** A model slow enough that one call spans many intake turns: dense 128-2048-2048-128 (about 4.7M MACs per window). */
const slow = tinyModel({ window: 64, channels: ['x', 'y'], layers: randomDenseLayers(64, 2, [2048, 2048], 5), name: 'slow' });
const slowReq = { onnx: slow.onnx, inputName: 'input', outputName: 'reconstruction', window: 64, channels: 2, threads: 1, spinning: false };

const opened: InferenceSession[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

/** Seeded windows of several sensors, in arrival order. */
function windows(count: number): SensorWindow[] {
  const rand = mulberry32(11);
  return Array.from({ length: count }, (_, i) => ({
    sensor: `s${i % 5}`,
    tsFirst: i,
    tsLast: i + W - 1,
    seq: i,
    receivedAt: i,
    data: Float32Array.from({ length: W * C }, () => rand() * 4 - 2),
  }));
}

describe('ort-node in a worker thread', () => {
  it('scores a fixture exactly as the in-thread session does, batch by batch', async () => {
    const main = await backendFor('cpu').open(req);
    const worker = await backendFor('cpu', { worker: true }).open(req);
    opened.push(main, worker);
    expect(worker.provider).toBe('ort-node/cpu');
    const score = async (session: InferenceSession) => {
      const batches = [windows(1), windows(37), windows(300)];
      const out = await lastValueFrom(from(batches).pipe(inferBatches({ card, session }, { maxBatch: 128 }), toArray()));
      return out.map((w) => [w.sensor, w.seq, w.score, ...w.perChannel]);
    };
    const a = await score(main);
    const b = await score(worker);
    expect(b.length).toBe(338);
    // The worker session takes a second batch while one runs, so a backlog is split into other batches and
    // sensors interleave differently; each sensor's windows keep their order (a stable sort keeps it) and every
    // score is the same.
    const bySensor = (rows: typeof a) => [...rows].sort((x, y) => String(x[0]).localeCompare(String(y[0])) || Number(x[1]) - Number(y[1]));
    expect(bySensor(b)).toEqual(bySensor(a));
  });

  it('keeps decoding readings and forming windows while one long inference call runs', async () => {
    const broker: TestBroker = await testBroker(() => {});
    const session = await backendFor('cpu', { worker: true }).open(slowReq);
    opened.push(session);
    const sub = await mqtt.connectAsync(broker.url);
    const pub = await mqtt.connectAsync(broker.url);
    try {
      const counters = createCounters();
      let decoded = 0;
      let subscribed!: () => void;
      const ready = new Promise<void>((r) => (subscribed = r));
      const codec = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 100 }, { channels: ['x', 'y'], timestamp: { source: 'payload', field: 'ts', unit: 'ms', maxFutureMs: 60_000 } });
      const firstWindow = new Subject<void>();
      const intake = mqttSource(sub, { filters: ['t/+/data'], qos: 0, onSubscribed: () => subscribed() })
        .pipe(
          decode({ codec, route: topicRouter([compileTopicTemplate('t/{sensor}/data')]), maxPayloadBytes: 1024, onRejected: () => {} }),
          tap(() => decoded++),
          windowBySensor(slow.card, { counters }),
        )
        .subscribe(() => firstWindow.next());
      await ready;
      // The sensor publishes continuously from this thread; a blocked event loop would stop it and the intake alike.
      let ts = Date.now();
      const publishing = setInterval(() => {
        for (let i = 0; i < 20; i++) pub.publish('t/pump/data', `{"ts":${++ts},"x":${Math.sin(ts)},"y":1}`, { qos: 0 });
      }, 1);
      await firstValueFrom(firstWindow);
      const before = { decoded, windows: counters.windows };
      const input = new Float32Array(512 * 64 * 2).fill(0.5);
      await session.run(input, 512);
      const during = { decoded: decoded - before.decoded, windows: counters.windows - before.windows };
      clearInterval(publishing);
      intake.unsubscribe();
      expect(during.decoded).toBeGreaterThan(0);
      expect(during.windows).toBeGreaterThan(0);
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
      await broker.stop();
    }
  });

  it('a worker that dies fails its calls like an inference error, then is started again with the same model', async () => {
    const session = (await backendFor('cpu', { worker: true }).open(slowReq)) as InferenceSession & { worker: Worker; restarts: number };
    opened.push(session);
    const x = Float32Array.from({ length: 256 * 64 * 2 }, (_, i) => Math.sin(i));
    const expected = Array.from((await session.run(x, 256)).reconstruction);
    // A crash: the thread throws (here on a message it does not know) before it answers the call queued behind.
    // (worker.terminate() is no way to test this: ending a thread inside a native ORT call aborts the process.)
    const dying = session.worker;
    dying.postMessage({ type: 'crash' });
    const call = session.run(x, 256);
    await expect(call).rejects.toThrow(/^inference worker \(cpu\) stopped with exit code 1: ort-worker: unknown message type 'crash'$/);
    const again = await session.run(x, 256);
    expect(session.restarts).toBe(1);
    expect(session.worker).not.toBe(dying);
    expect(Array.from(again.reconstruction)).toEqual(expected);

    // Through the stage: the batch on the dead worker is dropped and counted as an inference error, the next is scored.
    const counters = createCounters();
    const errors: string[] = [];
    const input = new Subject<SensorWindow[]>();
    const done = lastValueFrom(input.pipe(inferBatches({ card: slow.card, session }, { counters, onError: (e) => errors.push((e as Error).message) }), toArray()));
    const batch = (n: number, seq0: number): SensorWindow[] =>
      Array.from({ length: n }, (_, i) => ({ sensor: 'p', tsFirst: seq0 + i, tsLast: seq0 + i + 63, seq: seq0 + i, receivedAt: 0, data: x.subarray(i * 128, (i + 1) * 128) }));
    session.worker.postMessage({ type: 'crash' });
    input.next(batch(256, 0));
    // The next batch once the first has failed (sent while it was in flight, it would have gone to the dying worker too).
    await vi.waitFor(() => expect(errors.length).toBe(1));
    input.next(batch(2, 256));
    input.complete();
    const scored = await done;
    expect(errors).toEqual(["inference worker (cpu) stopped with exit code 1: ort-worker: unknown message type 'crash'"]);
    expect(counters).toMatchObject({ inferenceErrors: 1, droppedInferenceError: 256, scored: 2 });
    expect(scored.map((w) => w.seq)).toEqual([256, 257]);
    expect(session.restarts).toBe(2);

    // A crash with a backlog: the two batches in flight on the dying worker fail; every later batch waits for the
    // restarted worker to open its model (none reaches it before: no 'no open session'), and all are scored.
    const counters2 = createCounters();
    const errors2: string[] = [];
    const input2 = new Subject<SensorWindow[]>();
    const done2 = lastValueFrom(input2.pipe(inferBatches({ card: slow.card, session }, { maxBatch: 8, counters: counters2, onError: (e) => errors2.push((e as Error).message) }), toArray()));
    session.worker.postMessage({ type: 'crash' });
    input2.next(batch(64, 1000));
    input2.complete();
    const scored2 = await done2;
    expect(errors2).toEqual(Array(2).fill("inference worker (cpu) stopped with exit code 1: ort-worker: unknown message type 'crash'"));
    expect(counters2).toMatchObject({ inferenceErrors: 2, droppedInferenceError: 16, scored: 48 });
    expect(scored2.map((w) => w.seq)).toEqual(Array.from({ length: 48 }, (_, i) => 1016 + i));
    expect(session.restarts).toBe(3);

    // Two calls at once on a dead worker: one restart, both answered.
    session.worker.postMessage({ type: 'crash' });
    await expect(session.run(x, 256)).rejects.toThrow(/stopped with exit code 1/);
    const both = await Promise.all([session.run(x, 256), session.run(x, 256)]);
    for (const r of both) expect(Array.from(r.reconstruction)).toEqual(expected);
    expect(session.restarts).toBe(4);
  });

  it('keeps the two largest transfer buffers, so a backlog does not allocate one per batch after warm-up', async () => {
    const session = (await backendFor('cpu', { worker: true }).open(req)) as InferenceSession & { thread: { spares: ArrayBuffer[] } };
    opened.push(session);
    const big = new Float32Array(512 * W * C);
    await session.run(new Float32Array(W * C), 1);
    await session.run(new Float32Array(16 * W * C), 16);
    await Promise.all([session.run(big, 512), session.run(big, 512)]);
    expect(session.thread.spares.map((b) => b.byteLength).sort((a, b) => a - b)).toEqual([512 * W * C * 4, 512 * W * C * 4]);
    await session.run(new Float32Array(W * C), 1); // a small call takes a large spare and gives it back
    expect(session.thread.spares.map((b) => b.byteLength)).toEqual([512 * W * C * 4, 512 * W * C * 4]);
  });

  it('a restart that cannot open the model fails that call, and the next call starts a worker again', async () => {
    // Copies (a Buffer's slice would share the fixture's bytes).
    const pristine = Uint8Array.from(slowReq.onnx);
    const own = { ...slowReq, onnx: Uint8Array.from(pristine) };
    const session = (await backendFor('cpu', { worker: true }).open(own)) as InferenceSession & { worker: Worker; restarts: number };
    opened.push(session);
    const x = Float32Array.from({ length: 4 * 64 * 2 }, (_, i) => Math.cos(i));
    const expected = Array.from((await session.run(x, 4)).reconstruction);
    session.worker.postMessage({ type: 'crash' });
    await expect(session.run(x, 4)).rejects.toThrow(/stopped with exit code 1/);
    // The model bytes the session restarts from are damaged: the restart cannot open them.
    own.onnx.fill(7);
    await expect(session.run(x, 4)).rejects.toThrow(/^inference worker could not be restarted: /);
    own.onnx.set(pristine);
    const again = await session.run(x, 4);
    expect(session.restarts).toBe(2);
    expect(Array.from(again.reconstruction)).toEqual(expected);
  });

  it('falls back between providers, reports the worker thread, hot-reloads and closes the old worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-worker-'));
    const model = loadModel(writeTinyModel(dir, { window: W, channels: CH, layers }));
    const m = await openModel(model, { providers: ['cuda', 'cpu'], warmup: [1, 16], worker: true, threads: 1, spinning: false });
    expect(m.report).toMatch(/^execution provider: ort-node\/cpu \(fell back; cuda failed: .+\) in a worker thread; warm-up \d+\.\d ms$/);
    const first = m.ref.current.session as InferenceSession & { worker: Worker };
    const exited = once(first.worker, 'exit');
    const next = loadModel(writeTinyModel(join(dir, 'next'), { window: W, channels: CH, name: 'next' }));
    const r = await reloadModel(m.ref, next, { providers: ['cpu'], worker: true });
    expect(r.report).toMatch(/^execution provider: ort-node\/cpu in a worker thread; warm-up/);
    expect(r.previous).toBe('tiny 0.0.1');
    await exited; // the retired session's worker ended once no batch held it
    const out = await lastValueFrom(from([windows(3)]).pipe(inferBatches(m.ref), toArray()));
    expect(out.map((w) => w.provider)).toEqual(['ort-node/cpu', 'ort-node/cpu', 'ort-node/cpu']);
    const second = m.ref.current.session as InferenceSession & { worker: Worker };
    const secondExit = once(second.worker, 'exit');
    await m.ref.close();
    await secondExit;
    await expect(second.run(new Float32Array(W * C), 1)).rejects.toThrow(/closed/);
  });
});
