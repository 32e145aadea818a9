/**
 * The per-reading hot paths of `vigil run` timed in process, alone, against another checkout's (issue 14: CPU per
 * reading). The end-to-end A/B (bench/ab-sustained.ts) moves by several per cent between runs on a shared machine;
 * these isolate the stages a change touches, interleaved round by round (this tree, then the other):
 *   - spread: successiveDifferences over 64 windows of the bench model's 64 x 8 (runtime/scoring/spread.ts)
 *   - decode: decodeMessage of a bench payload through the json codec with the card's serving ranges
 *   - window: windowBySensor (views) over 1,000 sensors x 100 readings as the codec makes them
 *   node bin/run-ts.mjs bench/hot-paths.ts [--base /path/to/other/checkout] [--rounds 16]
 * The other checkout needs its node_modules (`git worktree add DIR COMMIT && cp -a node_modules DIR/`). Prints, per
 * path and tree, the median and the least of the rounds (the first two are left out: warm-up).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Subject } from 'rxjs';
import { cliArg } from './lib/child.ts';
import { median } from './lib/stats.ts';
import { benchModel, readingJson } from './lib/vigil.ts';

const BASE = cliArg('base', '');
const ROUNDS = Number(cliArg('rounds', '16'));
const ROOT = resolve(import.meta.dirname, '..');

type Tree = { name: string; spread: any; decode: any; codecs: any; ranges: any; window: any };
const load = async (name: string, dir: string): Promise<Tree> => {
  const at = (p: string) => import(pathToFileURL(join(dir, p)).href);
  return { name, spread: await at('runtime/scoring/spread.ts'), decode: await at('runtime/codecs/decode.ts'), codecs: await at('runtime/codecs/index.ts'), ranges: await at('runtime/model/ranges.ts'), window: await at('runtime/stream/window-by-sensor.ts') };
};
const trees = [await load('this tree', ROOT), ...(BASE ? [await load(BASE, resolve(BASE))] : [])];

const card = JSON.parse(readFileSync(`${benchModel()}.json`, 'utf8'));
const channels: string[] = card.channels;
const W: number = card.window;
const C = channels.length;
const T0 = 1_796_000_000_000;
let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const windows = Float32Array.from({ length: 64 * W * C }, () => random() * 4 - 2);
const payloads = Array.from({ length: 256 }, (_, i) => new TextEncoder().encode(readingJson(channels, channels.map((_, c) => +(random() * 10 + c).toFixed(4)), T0 + i)));
/** Where results go, so that no path's work is optimised away. */
export let sink: unknown;
const SENSORS = 1000;
const PER = 100;

/** ns per unit of each path for one tree. */
function paths(t: Tree): Record<string, () => number> {
  const codec = t.codecs.createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0 }, { channels, timestamp: t.codecs.DEFAULT_TIMESTAMP });
  const opts = { codec, route: (topic: string) => ({ sensor: topic.slice(2, 8) }), maxPayloadBytes: 65536, ranges: () => t.ranges.servingRanges(card) };
  const readings: unknown[] = [];
  for (let i = 0; i < PER; i++) for (let s = 0; s < SENSORS; s++) readings.push(codec.decode({ topic: 'x', payload: payloads[(i * SENSORS + s) & 255], receivedAt: T0 + i * 1000 } as never, { sensor: `s${s}` } as never)[0]);
  // Each reading's time moved to its turn (the payloads repeat their times).
  readings.forEach((r, k) => ((r as { ts: number }).ts = T0 + Math.floor(k / SENSORS) * 1000));
  return {
    spread: () => {
      const a = performance.now();
      for (let r = 0; r < 200; r++) sink = t.spread.successiveDifferences(windows, 64, W, C);
      return ((performance.now() - a) * 1e6) / (200 * 64);
    },
    decode: () => {
      const a = performance.now();
      for (let i = 0; i < 50_000; i++) sink = t.decode.decodeMessage({ topic: 'x/s00001/data', payload: payloads[i & 255], receivedAt: T0 + i }, opts);
      return ((performance.now() - a) * 1e6) / 50_000;
    },
    window: () => {
      const src = new Subject<unknown>();
      type View = { rows?: { release(seq: number): void }; seq: number };
      // A view's rows are let go as inferBatches lets them go once its batch is assembled.
      const sub = src.pipe(t.window.windowBySensor(card, { views: true, maxSensors: 2 * SENSORS })).subscribe((w) => (w as View).rows?.release((w as View).seq));
      const a = performance.now();
      for (const r of readings) src.next({ ...(r as object) });
      const ns = ((performance.now() - a) * 1e6) / readings.length;
      sub.unsubscribe();
      return ns;
    },
  };
}

const all = trees.map((t) => ({ t, p: paths(t), ns: {} as Record<string, number[]> }));
for (let round = 0; round < ROUNDS; round++)
  for (const { p, ns } of all)
    for (const [k, f] of Object.entries(p)) {
      const v = f();
      if (round >= 2) (ns[k] ??= []).push(v);
    }
const unit: Record<string, string> = { spread: 'a window', decode: 'a message', window: 'a reading' };
for (const k of Object.keys(all[0].p)) {
  const line = all.map(({ t, ns }) => `${t.name} ${median(ns[k]).toFixed(0)} ns (least ${Math.min(...ns[k]).toFixed(0)})`).join(' | ');
  console.log(`${k}, ns ${unit[k]}, median of ${ROUNDS - 2}: ${line}`);
}
