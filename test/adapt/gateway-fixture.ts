/**
 * A small pump model trained in the test (window 16, one conv layer of 16, a few epochs on wasm: seconds), and a
 * runtime fed rows of a series through its injectable source, one sensor, waiting until every window is judged.
 */
import { writeFileSync } from 'node:fs';
import { Subject } from 'rxjs';
import type { Series } from '../../runtime/data/series.ts';
import { defineConfig } from '../../runtime/config/load.ts';
import type { RunConfigInput } from '../../runtime/config/schema.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime, type RuntimeHandle } from '../../runtime/ops/runtime.ts';
import type { AlertEvent, RawMessage } from '../../runtime/stream/types.ts';
import { trainModel } from '../../train/train.ts';
import { pumpSeries, toCsv } from '../train/pump.ts';
import { waitFor } from '../reliability/support/wait.ts';

export const C = 8;
export const W = 16;

/** Train the tiny pump model on `rows` normal rows into DIR/pump; returns the model path. */
export async function trainTinyPump(dir: string, rows = 900): Promise<string> {
  writeFileSync(`${dir}/train.csv`, toCsv(pumpSeries(rows, 11).series));
  const res = await trainModel({ data: `${dir}/train.csv`, out: `${dir}/model/pump`, window: W, hidden: [16], code: 4, epochs: 25, patience: 5, backend: 'wasm', onNote: () => {} });
  res.model.dispose();
  return `${dir}/model/pump`;
}

/** Live data starts a day after the training rows. */
export const LIVE_START = Date.UTC(2024, 0, 2);

/** `rows` rows of normal pump data at 1 Hz from `start` (epoch ms), with `edit(row, values)` applied to each. */
export function liveRows(rows: number, seed: number, start: number, edit: (r: number, v: Float32Array) => void = () => {}): Series {
  const s = pumpSeries(rows, seed).series;
  for (let r = 0; r < rows; r++) edit(r, s.data.subarray(r * C, (r + 1) * C));
  return { ...s, timestamps: s.timestamps.map((_, i) => start + i * 1000) };
}

/** A runtime on `broker` with adaptation configured, fed through `feed(series)`. */
export async function gateway(model: string, brokerUrl: string, adapt: RunConfigInput['adapt'], logs: string[] = []) {
  const source = new Subject<RawMessage>();
  const handle: RuntimeHandle = await startRuntime(
    defineConfig({
      model,
      broker: { url: brokerUrl },
      source: { topics: ['sensors/{sensor}/data'] },
      reload: { watch: false },
      metrics: { port: null },
      state: { file: null },
      deadLetter: { topic: null },
      adapt,
    }),
    { logger: createLogger('info', { write: (s: string) => void logs.push(s) }), source },
  );
  const alerts: AlertEvent[] = [];
  handle.alerts.subscribe((a) => alerts.push(a));
  let expected = 0;
  /** Publish every row, then wait until all its windows are judged. */
  const feed = async (s: Series) => {
    const ch = s.channels;
    for (let r = 0; r < s.timestamps.length; r++) {
      const values: Record<string, number> = {};
      ch.forEach((c, j) => (values[c] = s.data[r * C + j]));
      source.next({ topic: 'sensors/pump-1/data', payload: Buffer.from(JSON.stringify({ ts: s.timestamps[r], values })), receivedAt: Date.now() });
      if (r % 200 === 199) await new Promise((done) => setImmediate(done));
    }
    expected += s.timestamps.length;
    await waitFor(() => handle.counters.scored >= expected - (W - 1), `${expected - W + 1} windows judged`, 60_000, () => handle.counters);
  };
  return { handle, feed, alerts, logs };
}
