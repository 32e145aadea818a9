/**
 * QoS 1 back-pressure: a slow model (a real dense ONNX model in the inference worker, so intake runs on while it
 * scores) and a burst published at QoS 1 into `startRuntime` on a private Mosquitto, with a memory bound that
 * the burst passes many times over. The intake stops reading the socket at batch.pauseIntakeAt and resumes at
 * batch.resumeIntakeAt: nothing is shed, every window is scored, in order.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { pendingViewBytes } from '../../runtime/stream/infer-batches.ts';
import { randomDenseLayers, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { startMosquitto, type TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { silent, testConfig, uniquePrefix } from '../ops/harness.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const W = 16;
const CH = ['a', 'b'];
const READINGS = 1500;

let broker: TestMosquitto;
beforeAll(async () => {
  broker = await startMosquitto({ persistence: false });
});
afterAll(async () => {
  await broker?.close();
});

describe('QoS 1 back-pressure', () => {
  it('a slow model and a QoS 1 burst 20x the memory bound: intake pauses, nothing is shed, every window is scored in order', async () => {
    // About 1.1M multiply-adds per window: a batch takes milliseconds, the burst arrives far faster.
    const model = writeTinyModel(mkdtempSync(join(tmpdir(), 'vigil-gate-')), { name: 'slow', window: W, channels: CH, layers: randomDenseLayers(W, CH.length, [1024, 1024], 3), threshold: 1e9 });
    const windowBytes = pendingViewBytes(CH.length);
    // 64 windows' worth: the pause mark (half) leaves room for a micro-batch of 16 on its way.
    const maxPendingBytes = 64 * windowBytes;
    const prefix = uniquePrefix('gate');
    const h = await startRuntime(
      testConfig(broker.url, prefix, model, { batch: { size: 16, maxWaitMs: 1, maxPendingBytes }, inference: { providers: ['cpu'], threads: 1, worker: true } }),
      { logger: silent },
    );
    const seqs: number[] = [];
    const sub = h.verdicts.subscribe((v) => seqs.push(v.seq));
    const pub = await mqtt.connectAsync(broker.url, { clientId: `${prefix.replace(/\W/g, '-')}-pub` });
    try {
      for (let i = 0; i < READINGS; i++) pub.publish(`${prefix}/pump/data`, JSON.stringify({ ts: 1_700_000_000_000 + i * 1000, a: Math.sin(i / 7), b: (i % 11) / 11 }), { qos: 1 });
      const expected = READINGS - W + 1;
      await waitFor(() => h.counters.scored + h.counters.droppedQueueFull >= expected, `${expected} windows scored or shed`, 120_000, () => ({ scored: h.counters.scored, shed: h.counters.droppedQueueFull, messages: h.edge.messages }));
      expect(expected * windowBytes).toBeGreaterThan(20 * maxPendingBytes);
      expect(h.counters).toMatchObject({ windows: expected, scored: expected, droppedQueueFull: 0, droppedInferenceError: 0 });
      expect(seqs).toEqual(Array.from({ length: expected }, (_, k) => k + W - 1));
      // The backlog did reach the mark: the intake was held (and released) rather than shedding.
      expect(h.edge.intakePauses).toBeGreaterThan(0);
      expect(h.edge.intakePaused).toBe(0);
      expect(h.edge.messages).toBe(READINGS);
    } finally {
      sub.unsubscribe();
      await pub.endAsync();
      await h.stop();
    }
  }, 180_000);
});
