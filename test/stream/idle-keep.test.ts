/**
 * A quiet sensor keeps its window at least as long as a whole window of readings at the card's interval
 * (data-gaps.ts `idleKeepMs`), not only `window.idleEvictMs`: otherwise `vigil score` (arrival = data time) scored no
 * window of data slower than the idle limit, and restarted windows at holes that `vigil run`, fed the same readings
 * back to back (a historian replay), spanned: the two gave different windows and alerts for one file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { scoreCsv } from '../../runtime/cli/score.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import { meanLayer, tinyModel, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { rd } from './helpers.ts';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;

/** A card trained at `intervalMs` (its `data` record), window `window`, one channel. */
function cardData(intervalMs: number) {
  return { sha256: '0'.repeat(64), hash: 'test', rows: 1000, from: new Date(T0).toISOString(), to: new Date(T0 + 999 * intervalMs).toISOString(), intervalMs };
}

function model(dir: string, window: number, intervalMs: number): string {
  const path = writeTinyModel(dir, { name: 'idle', window, channels: ['value'], layers: [meanLayer(window, 1)], threshold: 100 });
  const card = JSON.parse(readFileSync(`${path}.json`, 'utf8'));
  writeFileSync(`${path}.json`, JSON.stringify({ ...card, data: cardData(intervalMs) }));
  return path;
}

function csv(dir: string, times: number[]): string {
  const path = join(dir, 'data.csv');
  writeFileSync(path, `${['timestamp,value', ...times.map((t, i) => `${new Date(t).toISOString()},${Math.sin(i / 5)}`)].join('\n')}\n`);
  return path;
}

describe('a quiet sensor keeps its window for a whole window of readings', () => {
  it('vigil score scores data slower than window.idleEvictMs (2-hourly rows, the default 1 h)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-idle-keep-'));
    const times = Array.from({ length: 40 }, (_, i) => T0 + i * 120 * MIN);
    const res = await scoreCsv({ model: model(dir, 4, 120 * MIN), data: csv(dir, times), providers: ['cpu'] });
    expect(res.counters).toMatchObject({ scored: 40 - 3, evictedIdle: 0, gapResets: 0 });
  });

  it('vigil score spans a hole shorter than a window of readings, counting it missing, and restarts after a longer one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-idle-keep-'));
    const m = model(dir, 16, 5 * MIN); // a window spans 80 minutes
    const before = Array.from({ length: 40 }, (_, i) => T0 + i * 5 * MIN);
    const after = (hole: number) => Array.from({ length: 40 }, (_, i) => before[39] + hole + i * 5 * MIN);
    // 65 minutes from one row to the next: 12 readings missing, the window spans them.
    const short = await scoreCsv({ model: m, data: csv(dir, [...before, ...after(65 * MIN)]), providers: ['cpu'] });
    expect(short.counters).toMatchObject({ scored: 80 - 15, evictedIdle: 0, gapResets: 0, readingGaps: 1, readingsMissing: 12 });
    // 90 minutes: longer than the window, which restarts; counted as `vigil run` counts the rows fed back to back,
    // not forgotten as a quiet sensor (which said nothing of the hole: 0 gaps, 0 missing).
    const long = await scoreCsv({ model: m, data: csv(dir, [...before, ...after(90 * MIN)]), providers: ['cpu'] });
    expect(long.counters).toMatchObject({ scored: 80 - 30, evictedIdle: 0, gapResets: 1, readingGaps: 1, readingsMissing: 17 });
    // Days: the same (a historian export with a week missing).
    const week = await scoreCsv({ model: m, data: csv(dir, [...before, ...after(7 * 24 * 60 * MIN)]), providers: ['cpu'] });
    expect(week.counters).toMatchObject({ scored: 80 - 30, evictedIdle: 0, gapResets: 1, readingGaps: 1 });
  });

  it('the same readings give the same windows whether they arrive at their pace or back to back (a replay)', async () => {
    const { card } = tinyModel({ window: 16, channels: ['value'] });
    const paced = { ...card, data: cardData(5 * MIN) };
    const times = [...Array.from({ length: 30 }, (_, i) => T0 + i * 5 * MIN), ...Array.from({ length: 30 }, (_, i) => T0 + 29 * 5 * MIN + 70 * MIN + i * 5 * MIN)];
    const run = async (arrival: (ts: number) => number) => {
      const counters = createCounters();
      const windows = await lastValueFrom(from(times.map((t) => rd('s', t, { value: 1 }, arrival(t)))).pipe(windowBySensor(paced, { counters }), toArray()));
      return { windows: windows.map((w) => w.tsLast), evictedIdle: counters.evictedIdle };
    };
    const atPace = await run((t) => t);
    const backToBack = await run(() => Date.UTC(2026, 11, 7));
    expect(atPace.evictedIdle).toBe(0);
    expect(atPace.windows).toEqual(backToBack.windows);
    expect(atPace.windows).toHaveLength(60 - 15);
  });

  it('still forgets a sensor quiet for longer than both (the memory bound)', async () => {
    const { card } = tinyModel({ window: 4, channels: ['value'] });
    const paced = { ...card, data: cardData(5 * MIN) };
    const counters = createCounters();
    const seq = [rd('old', T0, { value: 1 }), rd('x', T0 + 61 * MIN, { value: 1 }), rd('old', T0 + 62 * MIN, { value: 1 })];
    await lastValueFrom(from(seq).pipe(windowBySensor(paced, { counters }), toArray()));
    expect(counters.evictedIdle).toBe(1);
  });
});
