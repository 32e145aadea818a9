/**
 * A timestamp without a zone is read as UTC (README, "Train and score your own data"), whatever the gateway's own
 * time zone: a probe's PLC wrote `2026-12-07 8:10:09` (hour not zero-padded), which fell through to V8's legacy
 * Date.parse and was read in the host's local time, an hour off on a gateway set to Europe/Berlin.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCodec, DEFAULT_TIMESTAMP, type CodecContext } from '../../runtime/codecs/index.ts';
import { parseTimestamp } from '../../runtime/data/timestamp.ts';
import { ok, rej } from '../codecs/decoded.ts';

const UTC_0810 = Date.UTC(2026, 11, 7, 8, 10, 9);

describe('timestamps without a zone on a gateway in another time zone', () => {
  const tz = process.env.TZ;
  beforeEach(() => {
    process.env.TZ = 'Europe/Berlin';
  });
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it('reads an hour without its leading zero as UTC', () => {
    expect(new Date(2026, 11, 7, 8).getTimezoneOffset()).toBe(-60); // the zone took effect
    expect(parseTimestamp('2026-12-07 8:10:09')).toBe(UTC_0810);
    expect(parseTimestamp('2026-12-07T8:10:09')).toBe(UTC_0810);
    expect(parseTimestamp('2026-12-07 8:10')).toBe(Date.UTC(2026, 11, 7, 8, 10));
  });

  it('refuses other zoneless forms rather than read them in local time', () => {
    for (const s of ['2026-12-07 08:10:09 PM', '2026-12-07, 08:10:09', '2026-12-07  08:10:09', '2026-12-07 08:10:9']) {
      expect(parseTimestamp(s), s).toBeNaN();
    }
  });

  it('still reads what it read before: zones, offsets, dates alone', () => {
    expect(parseTimestamp('2026-12-07 08:10:09')).toBe(UTC_0810);
    expect(parseTimestamp('2026-12-07T10:10:09+02:00')).toBe(UTC_0810);
    expect(parseTimestamp('2026-12-07T10:10:09.000+0200')).toBe(UTC_0810);
    expect(parseTimestamp('2026-12-07 08:10:09 UTC')).toBe(UTC_0810);
    expect(parseTimestamp('2026-12-07T08:10:09z')).toBe(UTC_0810);
    expect(parseTimestamp('2026-12-07')).toBe(Date.UTC(2026, 11, 7));
  });

  it('a live JSON payload is stamped in UTC, or refused as bad_timestamp', () => {
    const ctx: CodecContext = { channels: ['temp'], timestamp: DEFAULT_TIMESTAMP };
    const codec = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 100 }, ctx);
    const msg = (ts: string) => ({ topic: 's/p1/data', payload: new TextEncoder().encode(JSON.stringify({ ts, temp: 20 })), receivedAt: UTC_0810 + 1000 });
    expect(ok(codec.decode(msg('2026-12-07 8:10:09'), { sensor: 'p1' }))[0].ts).toBe(UTC_0810);
    expect(rej(codec.decode(msg('2026-12-07 08:10:09 AM'), { sensor: 'p1' }))).toMatchObject({ reason: 'bad_timestamp' });
  });
});
