/**
 * Alert payload times are whole milliseconds: inside vigil, arrival-stamped readings of one millisecond stay in order a
 * microsecond apart (window-by-sensor.ts), and a probe's burst published `"tsLast": 1796629753237.001`, which a
 * consumer decoding an integer refuses (Go's encoding/json into int64). The numbers floor to the millisecond, the
 * duration rounds; the ISO fields already had whole milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { alertPayload, AlertPayloadSchema } from '../../runtime/mqtt/alert-payload.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';

const T = 1_796_629_753_237;
const event: AlertEvent = {
  type: 'close', sensor: 'b', tsFirst: T + 0.001, tsLast: T + 63.064, score: 2, threshold: 1, contributors: [{ channel: 'flow', share: 1 }],
  model: { name: 'pump', version: '1' }, provider: 'ort-node/cpu', openedAt: T - 999.999, durationMs: 1063.063, peakScore: 3, peakThreshold: 1,
};

describe('alert payload times', () => {
  it('are whole milliseconds, the ISO fields agreeing', () => {
    const p = AlertPayloadSchema.parse(alertPayload(event));
    expect(p).toMatchObject({ tsFirst: T, tsLast: T + 63, durationMs: 1063 });
    for (const k of ['tsFirst', 'tsLast', 'durationMs'] as const) expect(Number.isInteger(p[k]), k).toBe(true);
    expect(Date.parse(p.windowStart)).toBe(p.tsFirst);
    expect(Date.parse(p.windowEnd)).toBe(p.tsLast);
  });
});
