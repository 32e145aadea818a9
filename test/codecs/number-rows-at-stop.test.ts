/**
 * The `number` codec joins one value per topic into rows; a row that never completes (a channel its sensor does not
 * send, a point published only on change) waits for the sensor's next value. At a stop there is none: a probe's
 * sensor with a channel missing had its last row, accepted (acknowledged at QoS 1), never scored (`vigil run`
 * stopped with 89 of 90 rows decoded). The end of intake now lets such rows go as they are, into the drain.
 */
import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createCodec, decode, DEFAULT_TIMESTAMP } from '../../runtime/codecs/index.ts';
import { compileTopicTemplate, topicRouter } from '../../runtime/mqtt/topic-template.ts';
import type { RawMessage, Rejected } from '../../runtime/stream/types.ts';

const T0 = Date.UTC(2026, 11, 7, 7, 0);
const enc = (s: string) => new TextEncoder().encode(s);
const value = (sensor: string, channel: string, ts: number, v: number): RawMessage => ({ topic: `s/${sensor}/${channel}`, payload: enc(`${ts},${v}`), receivedAt: ts + 5 });

function decodeAll(msgs: RawMessage[], byContentType = false, ranges?: Record<string, [number, number]>) {
  const rejected: Rejected[] = [];
  const codec = createCodec({ kind: 'number', joinToleranceMs: 100, byContentType }, { channels: ['flow', 'current', 'temp'], timestamp: DEFAULT_TIMESTAMP });
  const route = topicRouter([compileTopicTemplate('s/{sensor}/{channel}')]);
  const op = decode({ codec, route, maxPayloadBytes: 64, onRejected: (r) => rejected.push(r), ranges: () => ranges });
  return { rejected, readings: firstValueFrom(from(msgs).pipe(op, toArray())) };
}

// Sensor p1 never sends `temp`; p2 sends every channel, its last row cut short by the stop.
const msgs = [
  value('p1', 'flow', T0, 1), value('p1', 'current', T0, 2),
  value('p2', 'flow', T0, 3), value('p2', 'current', T0, 4), value('p2', 'temp', T0, 5),
  value('p1', 'flow', T0 + 1000, 6), value('p1', 'current', T0 + 1000, 7),
  value('p2', 'flow', T0 + 1000, 8),
];

describe('number codec rows in progress when intake ends', () => {
  it('are emitted as they are, so every accepted value reaches the window stage', async () => {
    for (const byContentType of [false, true]) {
      const { readings, rejected } = decodeAll(msgs, byContentType);
      const got = (await readings).map((r) => ({ sensor: r.sensor, ts: r.ts, values: r.values }));
      expect(got).toEqual([
        { sensor: 'p2', ts: T0, values: { flow: 3, current: 4, temp: 5 } },
        { sensor: 'p1', ts: T0, values: { flow: 1, current: 2 } },
        { sensor: 'p1', ts: T0 + 1000, values: { flow: 6, current: 7 } },
        { sensor: 'p2', ts: T0 + 1000, values: { flow: 8 } },
      ]);
      expect(rejected).toEqual([]);
    }
  });

  it('a row let go at the end is still held to the card ranges', async () => {
    const { readings, rejected } = decodeAll([value('p1', 'flow', T0, 900)], false, { flow: [0, 100] });
    expect(await readings).toEqual([]);
    expect(rejected).toMatchObject([{ reason: 'out_of_range', sensor: 'p1', topic: 's/p1/flow', detail: expect.stringContaining("channel 'flow' is 900") }]);
  });
});
