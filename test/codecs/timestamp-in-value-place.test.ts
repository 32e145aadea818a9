/**
 * An array with an ISO timestamp and one value too few has as many elements as the model has channels, so the
 * json-array codec read it as values without a timestamp: a probe's `["2026-12-07T06:00:00Z", 38.1, 13.2]` was refused
 * as "channel 'flow' is "2026-12-07T06:00:00Z"; expected a finite number" and signalled as a bad flow value, sending
 * the operator to the flow transmitter, while the csv codec already said "a value is missing" for the same line. Both
 * now share that judgement (values.ts looksLikeTime). An epoch number there was read as flow = 1.7e12, scored and
 * alerted at millions of times the bar: a number within a day of the arrival, read as a timestamp, is one too; any
 * other number stays a value.
 */
import { describe, expect, it } from 'vitest';
import { createCodec, DEFAULT_TIMESTAMP } from '../../runtime/codecs/index.ts';
import { ok, rej } from './decoded.ts';

const NOW = Date.UTC(2026, 11, 7, 7, 31, 25);
const ctx = { channels: ['flow', 'motor_current', 'temperature'], timestamp: DEFAULT_TIMESTAMP };
const enc = (s: string) => new TextEncoder().encode(s);
const where = { sensor: 'a4' };

describe('a time where the first channel value should be', () => {
  for (const kind of ['csv', 'json-array'] as const) {
    const codec = createCodec({ kind }, ctx);
    const send = (fields: unknown[]) => codec.decode({ topic: 'probeA/x/a4/data', payload: enc(kind === 'csv' ? fields.join(',') : JSON.stringify(fields)), receivedAt: NOW }, where);

    it(`${kind}: an ISO time and a value too few: a value is missing, not a bad flow`, () => {
      for (const ts of ['2026-12-07T06:00:00Z', '2026-12-07 06:00:00']) {
        expect(rej(send([ts, 38.1, 13.2])), ts).toMatchObject({
          reason: 'wrong_channel_count',
          detail: expect.stringMatching(/3 (fields|elements), the first a timestamp .*a value is missing; expected the timestamp then 3 values \(flow.{1,2}motor_current.{1,2}temperature\)/),
        });
      }
    });

    it(`${kind}: an epoch time (ms or s, as a number or a numeric string) and a value too few: a value is missing`, () => {
      for (const ts of [NOW - 1000, (NOW - 1000) / 1000, String(NOW - 1000)]) {
        expect(rej(send([ts, 38.1, 13.2])), String(ts)).toMatchObject({ reason: 'wrong_channel_count', detail: expect.stringContaining('a value is missing') });
      }
    });

    it(`${kind}: numbers, text that is no time, and full lines read as before`, () => {
      expect(ok(send([38.1, 13.2, 33.6]))[0]).toMatchObject({ ts: NOW, values: { flow: 38.1, motor_current: 13.2, temperature: 33.6 } });
      // Numbers far from the arrival as epoch ms or s (a totalizer, yesterday's recording) are values.
      expect(ok(send([NOW - 3 * 86_400_000, 13.2, 33.6]))[0].values.flow).toBe(NOW - 3 * 86_400_000);
      expect(ok(send([1.2e9, 13.2, 33.6]))[0].values.flow).toBe(1.2e9);
      expect(rej(send(['n/a', 13.2, 33.6]))).toMatchObject({ reason: 'bad_value', detail: expect.stringContaining("channel 'flow'") });
      expect(ok(send(['2026-12-07T07:31:24Z', 38.1, 13.2, 33.6]))[0]).toMatchObject({ ts: NOW - 1000, values: { flow: 38.1 } });
    });
  }
});
