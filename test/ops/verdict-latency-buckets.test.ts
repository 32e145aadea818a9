/**
 * `vigil_verdict_latency_seconds` tells how late verdicts (and so alerts) are behind a backlog: on a one-core gateway
 * a burst of 60,000 readings left a third of the sampled verdicts over 1 s, all in `+Inf`, so a user could not tell
 * seconds from minutes. The buckets go on to a minute.
 */
import { describe, expect, it } from 'vitest';
import { createCounters } from '../../runtime/stream/counters.ts';
import { createEdgeCounters, createMetrics } from '../../runtime/ops/metrics.ts';

const bucket = (text: string, le: string) => Number(text.match(new RegExp(`^vigil_verdict_latency_seconds_bucket\\{le="${le}"\\} (\\d+)`, 'm'))?.[1]);

describe('verdict latency histogram', () => {
  it('tells a few seconds late from a minute late', async () => {
    const metrics = createMetrics(createCounters(), createEdgeCounters(), { defaultMetrics: false });
    for (const ms of [3, 800, 4000, 20_000, 50_000, 90_000]) metrics.observeLatency(ms);
    const text = await metrics.text();
    expect([bucket(text, '1'), bucket(text, '5'), bucket(text, '30'), bucket(text, '60'), bucket(text, '\\+Inf')]).toEqual([2, 3, 4, 5, 6]);
  });
});
