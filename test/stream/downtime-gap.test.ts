/**
 * The step over vigil's own downtime after a restart (runtime/stream/data-gaps.ts `countAfterRestart`): with a persistent
 * QoS 1 session the broker queued what was published meanwhile, so a hole there was lost upstream and is counted.
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { createCounters } from '../../runtime/stream/counters.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import type { DataGap } from '../../runtime/stream/data-gaps.ts';
import type { Reading } from '../../runtime/stream/types.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { rd } from './helpers.ts';

const { card } = tinyModel({ window: 3, channels: ['a', 'b'] });
const timed = { ...card, data: { ...card.data!, intervalMs: 1000 } };
// A tail of 20 readings a second apart (its pace known: judged from the 16th step), the last at 20 s.
const seeds = () => [{ sensor: 's', ts: Array.from({ length: 20 }, (_, i) => (i + 1) * 1000), values: Array.from({ length: 20 }, (_, i) => [i % 3, 1]), lastSeen: Date.now() }];

/** The first live reading `r` after the tail (24 s: 3 readings skipped), with or without countAfterRestart. */
async function after(countAfterRestart: boolean, r: Reading = rd('s', 24_000, { a: 5, b: 2 })) {
  const counters = createCounters();
  const gaps: DataGap[] = [];
  await lastValueFrom(from([r]).pipe(windowBySensor(timed, { counters, countAfterRestart, onGap: (g) => gaps.push(g), tails: { seeds: seeds() } }), toArray()));
  return { counters, gaps };
}

describe('windowBySensor: the step over a restart', () => {
  it('with a persistent QoS 1 session (countAfterRestart) a hole over the downtime was lost upstream: counted, as without the restart', async () => {
    // A historian probe: vigil stopped with a persistent session, 30 sensors' next half hour published meanwhile and
    // lost by the broker (killed before it saved; Mosquitto's max_queued_messages does the same): 54,000 readings,
    // none counted missing, nothing logged, /health ok.
    const queued = await after(true);
    expect(queued.counters).toMatchObject({ readingGaps: 1, readingsMissing: 3 });
    expect(queued.gaps).toEqual([expect.objectContaining({ sensor: 's', fromTs: 20_000, toTs: 24_000, missing: 3 })]);
  });

  it("with a clean session or QoS 0 the hole is vigil's own downtime, and stamped on arrival the step is the downtime itself: none counted", async () => {
    expect((await after(false)).counters).toMatchObject({ readingGaps: 0, readingsMissing: 0 });
    expect((await after(true, { ...rd('s', 24_000, { a: 5, b: 2 }), arrival: true })).counters).toMatchObject({ readingGaps: 0, readingsMissing: 0 });
  });
});
