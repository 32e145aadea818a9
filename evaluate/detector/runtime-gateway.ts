/**
 * The real runtime (`vigil run`'s startRuntime, its injectable source) fed recorded series, for the NAB detector with
 * adaptation on (nab-adapt.ts) and bench/adapt-real.ts:
 * any channels, any window, one sensor per series, rows published in chunks and every due adaptation run to its end
 * before the next chunk (as bench/adapt-drift.ts does with fixtures/adapt-gateway.ts, whose feed is bound to its tiny
 * pump model: 8 channels, window 16, one sensor). Each reading is stamped as arriving at its own timestamp, as it
 * would at the data's pace: a sensor silent for `window.idleEvictMs` of data time is forgotten and starts a new
 * window, as offline `vigil score` (scoreSeries) does; stamped with the wall clock, a gap in a NAB file would not.
 */
import { Subject } from 'rxjs';
import type { Series } from '@vigil/runtime/data/series.ts';
import { defineConfig } from '@vigil/runtime/config/load.ts';
import type { RunConfigInput } from '@vigil/runtime/config/schema.ts';
import type { AdaptOutcome } from '@vigil/runtime/adapt/decision.ts';
import { createLogger } from '@vigil/runtime/ops/logger.ts';
import { startRuntime, type RuntimeHandle } from '@vigil/runtime/ops/runtime.ts';
import type { RawMessage } from '@vigil/runtime/stream/types.ts';

/** What the runtime said about one window: keyed by its sensor and last timestamp. */
export interface WindowVerdict {
  score: number;
  alertOpen: boolean;
}

/** One adaptation decision, as the bench reports it. */
export interface Decision {
  outcome: AdaptOutcome;
  from?: string;
  to?: string;
  detail: string;
}

/** Resolve when `cond()` holds; reject after `timeoutMs` saying what it waited for and the counters. */
async function until(cond: () => boolean, what: string, timeoutMs: number, state: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; counters: ${JSON.stringify(state())}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Rows published between two waits for every window and every due adaptation. */
export const CHUNK = 100;

/** A runtime serving `model` with `adapt` settings; `stream` feeds a series as one sensor. */
export async function startGateway(model: string, brokerUrl: string, adapt: RunConfigInput['adapt'], log: (line: string) => void = () => {}) {
  const source = new Subject<RawMessage>();
  const handle: RuntimeHandle = await startRuntime(
    defineConfig({ model, broker: { url: brokerUrl }, source: { topics: ['sensors/{sensor}/data'] }, reload: { watch: false }, metrics: { port: null }, state: { file: null }, deadLetter: { topic: null }, adapt }),
    { logger: createLogger('warn', { write: () => {} }), source },
  );
  const verdicts = new Map<string, Map<number, WindowVerdict>>();
  handle.detections.subscribe((d) => {
    let m = verdicts.get(d.verdict.sensor);
    if (!m) verdicts.set(d.verdict.sensor, (m = new Map()));
    m.set(d.verdict.tsLast, { score: d.verdict.score, alertOpen: d.alertOpen });
  });
  const decisions: Decision[] = [];
  handle.adaptation?.decisions.subscribe((d) => {
    decisions.push({ outcome: d.outcome, from: d.from, to: d.to, detail: d.detail });
    log(`    ${d.outcome}${d.to && d.to !== d.from ? ` v${d.from} -> v${d.to}` : ''}: ${d.detail.slice(0, 200)}`);
  });
  let fed = 0;

  /** Publish `s` as `sensor`, CHUNK rows at a time, waiting after each chunk for its windows and any adaptation. */
  const stream = async (sensor: string, s: Series): Promise<void> => {
    const C = s.channels.length;
    for (let from = 0; from < s.timestamps.length; from += CHUNK) {
      const to = Math.min(s.timestamps.length, from + CHUNK);
      for (let r = from; r < to; r++) {
        const values: Record<string, number> = {};
        for (let j = 0; j < C; j++) values[s.channels[j]] = s.data[r * C + j];
        source.next({ topic: `sensors/${sensor}/data`, payload: Buffer.from(JSON.stringify({ ts: s.timestamps[r], values })), receivedAt: s.timestamps[r] });
      }
      fed += to - from;
      const c = handle.counters;
      await until(() => c.readings >= fed && c.scored + c.droppedQueueFull + c.droppedInferenceError >= c.windows, `${fed} readings windowed and every window judged`, 120_000, () => c);
      await handle.adaptation?.settled();
    }
  };
  return { handle, stream, verdicts, decisions };
}

/** Count decisions by outcome (every outcome present, 0 when none). */
export function countDecisions(ds: Decision[]): Record<AdaptOutcome, number> {
  const n: Record<AdaptOutcome, number> = { adapted: 0, refused: 0, failed: 0, paused: 0, kept: 0, rolled_back: 0 };
  for (const d of ds) n[d.outcome]++;
  return n;
}
