/**
 * A sensor whose readings are refused for their timestamp is blind: a probe's sensor restarted with its clock at 1970
 * (a battery-less RTC) and every reading was dead-lettered `bad_timestamp`, while its alert topic said nothing (its
 * refused messages kept it from counting as silent, and bad_timestamp raised no `invalid` signal, as bad_value does).
 * It now raises one, on the same limit as the other reasons, read by the same schema `vigil alerts` uses.
 */
import { describe, expect, it } from 'vitest';
import { invalidSignals } from '../../runtime/alerts/invalid-signals.ts';
import { fromGateway, invalidPayload, InvalidPayloadSchema } from '../../runtime/mqtt/alert-payload.ts';
import { formatInvalid } from '../../simulators/alerts/format.ts';
import type { Rejected } from '../../runtime/stream/types.ts';

const detail = 'timestamp 5000 reads as 1970-01-01T01:23:20.000Z, before 2000-01-01 (source.timestamp.notBefore): a device clock never set (1970 plus its uptime), a counter, or a number taken for a timestamp; lower notBefore to replay older recordings';
const at = Date.UTC(2026, 11, 7, 7, 12, 4);
const refused = (t: number): Rejected => ({ reason: 'bad_timestamp', detail, topic: 'probeA/json/s-1970/data', receivedAt: t, sensor: 's-1970' });

describe('a known sensor whose timestamps are refused', () => {
  it('raises an invalid signal with reason bad_timestamp, one per interval, counting the readings', () => {
    const s = invalidSignals({ intervalMs: 60_000, maxSensors: 100, known: () => true });
    const got = [0, 1_000, 2_000, 60_000].map((t) => s.offer(refused(at + t))?.count ?? null);
    expect(got).toEqual([1, null, null, 3]);
  });

  it('the signal is a valid payload, and vigil alerts prints what was refused', () => {
    const signal = invalidSignals({ intervalMs: 60_000, maxSensors: 100 }).offer(refused(at))!;
    const payload = fromGateway(invalidPayload(signal, { name: 'pump', version: '1' }), 'gw-1');
    expect(InvalidPayloadSchema.safeParse(payload).success).toBe(true);
    expect(payload).toMatchObject({ type: 'invalid', sensor: 's-1970', reason: 'bad_timestamp', detail });
    expect(formatInvalid(payload, { now: new Date(at) })).toMatch(/INVALID  s-1970 \[gw-1\]  timestamp 5000 reads as 1970-01-01.*\(bad_timestamp\)/);
  });

  it('so does one whose readings carry no timestamp where the payload must (missing_timestamp)', () => {
    const s = invalidSignals({ intervalMs: 60_000, maxSensors: 100, known: () => true });
    const missing: Rejected = { reason: 'missing_timestamp', detail: "expected a timestamp in field 'ts' (epoch ms, epoch s or ISO 8601)", topic: 'plant/s-fw/data', receivedAt: at, sensor: 's-fw' };
    const signal = s.offer(missing)!;
    expect(signal).toMatchObject({ reason: 'missing_timestamp', sensor: 's-fw', count: 1 });
    expect(InvalidPayloadSchema.safeParse(fromGateway(invalidPayload(signal, { name: 'pump', version: '1' }), 'gw-1')).success).toBe(true);
  });
});
