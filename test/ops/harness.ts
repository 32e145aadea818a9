/**
 * Shared parts of the `vigil run` integration tests: a recorded series (NAB art_daily_small_noise, from the
 * shared datasets next to the repo) with a spike injected, a model whose card is fitted to it, a config with
 * unique topics per run (parallel runs share Mosquitto), and bounded waits on streams (no sleeps).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, filter, timeout, Subject, type Observable } from 'rxjs';
import type { MqttClient } from 'mqtt';
import type { InvalidPayload } from '../../runtime/mqtt/alert-payload.ts';
import { subscribeAlerts } from '../../simulators/alerts/subscribe.ts';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { readCsv } from '../../runtime/data/csv.ts';
import { sliceRows } from '../../runtime/data/series.ts';
import { defineConfig } from '../../runtime/config/load.ts';
import type { RunConfig, RunConfigInput } from '../../runtime/config/schema.ts';
import type { RawMessage } from '../../runtime/stream/types.ts';
import { writeTinyModel, meanLayer } from '@vigil/fixtures/tiny-model.ts';
import { fileBroker, type TestBroker } from './aedes.ts';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The recorded series used by the tests (NAB, MIT licence). */
export const RECORDED = join(repo, '../shared/datasets/nab/data/artificialNoAnomaly/art_daily_small_noise.csv');
/** Window of the test model. */
export const WINDOW = 16;

/** A recorded series of `n` rows starting at `offset`, timestamps in epoch ms. */
export function recordedSeries(n: number, offset = 0): { ts: number[]; values: number[] } {
  const s = readCsv(RECORDED);
  return { ts: Array.from(s.timestamps.slice(offset, offset + n)), values: Array.from(s.data.slice(offset, offset + n)) };
}

/** Add a spike of `sigmas` training standard deviations at `index`. */
export function injectSpike(values: number[], index: number, size: number): number[] {
  const out = values.slice();
  out[index] += size;
  return out;
}

/**
 * A model for the recorded series: reconstructs each window by its mean (so a spike on the last row scores
 * high), scaled with the series' own statistics, static threshold 8 (normal windows score < 3.3 on this file).
 */
export function recordedModel(dir = mkdtempSync(join(tmpdir(), 'vigil-run-model-'))): string {
  const s = readCsv(RECORDED);
  const x = Array.from(s.data);
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
  return writeTinyModel(dir, {
    name: 'daily',
    window: WINDOW,
    channels: ['value'],
    layers: [meanLayer(WINDOW, 1)],
    scaler: { kind: 'standard', offset: [mean], scale: [std] },
    threshold: 8,
  });
}

/** An aedes broker and the recorded series' model, for one test file: made before its tests, the broker stopped after. */
export function brokerAndModel(): { broker: TestBroker; model: string } {
  const rig = { broker: fileBroker() } as { broker: TestBroker; model: string };
  beforeAll(() => {
    rig.model = recordedModel();
  });
  return rig;
}

/**
 * A real model: a dense autoencoder trained (seeded, tfjs wasm) on the first 2,000 rows of the recorded series,
 * exported to ONNX with its card and POT-calibrated static threshold. Rows from 2,000 on are held out: the tests
 * publish those. About 5 s.
 */
export async function trainedModel(dir = mkdtempSync(join(tmpdir(), 'vigil-run-trained-'))): Promise<string> {
  const { trainModel } = await import('../../train/index.ts');
  const data = sliceRows(readCsv(RECORDED), 0, HELD_OUT);
  const out = join(dir, 'daily');
  await trainModel({ data, out, arch: 'dense', window: WINDOW, epochs: 15, seed: 7, span: 1, backend: 'wasm' });
  return out;
}

/**
 * A model that knows only its trained level: it reconstructs 0 (scaled), so a window of 8 readings has its last 4
 * rows' mean as residual; Mahalanobis with tracking (residual sd 0.1, bar 9, gate 4.5). A reading's `value` 1 away
 * from 0 scores about 100. `tracking` is added to the card's.
 */
export function levelModel(tracking: Record<string, unknown> = {}): string {
  const W = 8;
  const path = writeTinyModel(mkdtempSync(join(tmpdir(), 'vigil-level-model-')), {
    name: 'level', window: W, channels: ['value'], threshold: 9,
    layers: [{ weight: new Float32Array(W * W), bias: new Float32Array(W), inputs: W, outputs: W }],
  });
  const file = `${path}.json`;
  const card = JSON.parse(readFileSync(file, 'utf8'));
  card.scoring = { ...card.scoring, error: 'mahalanobis', span: 4, residual: { mean: [0], precision: [100], shrinkage: 0, windows: 100, method: 'test', tracking: { rate: 0.003, below: 4.5, ...tracking } } };
  writeFileSync(file, JSON.stringify(card));
  return path;
}

/** Sends p1's readings `from` to `to` (exclusive) at `level`, with a small wiggle. */
export type SendLevel = (from: number, to: number, level: number) => void;

/** p1's readings under `prefix`, reading i stamped `t0 + i * stepMs`: what the tests of operators' commands feed levelModel. */
export function levelFeed(source: Subject<RawMessage>, prefix: string, t0: number, stepMs: number): SendLevel {
  return (from, to, level) => {
    for (let i = from; i < to; i++) source.next(rawMessage(`${prefix}/p1/data`, readingJson(t0 + i * stepMs, level + 0.05 * Math.sin(i * 1.7))));
  };
}

/** First row not used for training. */
export const HELD_OUT = 2000;

/** Standard deviation of the recorded series (spike sizes are given in it). */
export function recordedStd(): number {
  const x = Array.from(readCsv(RECORDED).data);
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  return Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
}

/** A topic prefix no other run uses. */
export function uniquePrefix(tag: string): string {
  return `vigil-test/${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A config for tests: unique topics, no ops port, state in a temp dir, no file watching, silent logs. */
export function testConfig(brokerUrl: string, prefix: string, model: string, extra: Partial<RunConfigInput> = {}): RunConfig {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-run-state-'));
  return defineConfig({
    model,
    broker: { url: brokerUrl, reconnect: { minMs: 50, maxMs: 500 }, connectTimeoutMs: 5000 },
    source: { topics: [`${prefix}/{sensor}/data`], qos: 1 },
    alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3 },
    deadLetter: { topic: `${prefix}/dead/{reason}` },
    // No retained status left on the shared broker by every test (test/mqtt/gateway-status.test.ts checks it).
    gateway: { id: 'vigil-test', statusTopic: null },
    metrics: { port: null },
    state: { file: join(stateDir, 'state.json'), intervalMs: 0 },
    reload: { watch: false },
    batch: { size: 64, maxWaitMs: 1 },
    inference: { providers: ['cpu'] },
    log: { level: 'silent' },
    ...extra,
  } as RunConfigInput);
}

/** A logger that drops everything. */
export const silent = pino({ level: 'silent' });

/** A pino logger at `level` that keeps its lines, parsed, in `lines`. */
export function capturingLogger(level: pino.Level = 'info'): { lines: Record<string, unknown>[]; logger: pino.Logger } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: pino({ level }, stream) };
}

/** A message as the MQTT intake hands it on, received now. */
export const rawMessage = (topic: string, payload: string): RawMessage => ({ topic, payload: Buffer.from(payload), receivedAt: Date.now() });

/** The first value of `obs` matching `pred`, or a failure naming `what` after `ms`. */
export function within<T>(obs: Observable<T>, ms: number, what: string, pred: (v: T) => boolean = () => true): Promise<T> {
  return firstValueFrom(
    obs.pipe(
      filter(pred),
      timeout({ first: ms, with: () => { throw new Error(`timed out after ${ms} ms waiting for ${what}`); } }),
    ),
  );
}

/** JSON payload of one reading. */
export function readingJson(ts: number, value: number): string {
  return JSON.stringify({ ts, value });
}

/**
 * A sensor that keeps reporting while the test waits for something else: `reading(i)` is published on `topic` every
 * `everyMs` from i = `from` on, until the returned `stop` (which resolves with the last i published, `from` - 1 if none).
 */
export function keepReporting(pub: MqttClient, topic: string, from: number, reading: (i: number) => string, everyMs = 60): () => Promise<number> {
  let stopped = false;
  let last = from - 1;
  const loop = (async () => {
    for (let i = from; !stopped; i++) {
      await pub.publishAsync(topic, reading(i), { qos: 1 });
      last = i;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return last;
  };
}

/**
 * What the example consumer (`vigil alerts`, simulators/alerts/) makes of a prefix's alert topics: one line per
 * message (`alert SENSOR`, `signal SENSOR REASON COUNT`, `invalid WHY`), and the invalid-reading signals as they come.
 */
export async function consumeAlerts(client: MqttClient, prefix: string): Promise<{ consumed: string[]; signalled: Subject<InvalidPayload>; unsubscribe: () => Promise<void> }> {
  const consumed: string[] = [];
  const signalled = new Subject<InvalidPayload>();
  const unsubscribe = await subscribeAlerts(client, `${prefix}/alerts/#`, {
    onAlert: (a) => consumed.push(`alert ${a.sensor}`),
    onSignal: (p) => (consumed.push(`signal ${p.sensor} ${p.reason} ${p.count}`), signalled.next(p)),
    onInvalid: (_t, why) => consumed.push(`invalid ${why}`),
  });
  return { consumed, signalled, unsubscribe };
}
