/**
 * An alert of a sensor whose clock runs ahead (a probe's sensor an hour ahead from its first reading, which vigil
 * accepts up to source.timestamp.maxFutureMs): its data times lie in the future, and `vigil alerts` printed them
 * without a word, at 07:18 an alert on data of 08:18. Its negative `lateMs` says so; the line now does too.
 */
import { describe, expect, it } from 'vitest';
import { alertPayload } from '../../runtime/mqtt/alert-payload.ts';
import { formatAlert } from '../../simulators/alerts/format.ts';

const now = new Date(2026, 11, 7, 7, 18, 18);
const tsLast = Date.UTC(2026, 11, 7, 8, 18, 47);
const base = { sensor: 'fut2', tsFirst: tsLast - 15_000, score: 173, threshold: 14.9, contributors: [{ channel: 'flow', share: 0.84 }], model: { name: 'pump', version: '1' }, provider: 'cpu' };

describe('alert lines of a sensor whose clock runs ahead', () => {
  it('an event whose data is stamped an hour after it arrived says the clock is ahead, on open and close', () => {
    const open = alertPayload({ ...base, type: 'open', tsLast, receivedAt: tsLast - 3_600_000 + 40 });
    expect(open.lateMs).toBe(-3_599_960);
    expect(formatAlert(open, { now })).toMatch(/\(clock ahead: data stamped 1h 00m after it arrived\)$/);
    const closed = alertPayload({ ...base, type: 'close', tsLast: tsLast + 20_000, openedAt: tsLast, durationMs: 20_000, peakScore: 173, receivedAt: tsLast + 20_000 - 7_200_000 });
    expect(formatAlert(closed, { now })).toContain('(clock ahead: data stamped 2h 00m after it arrived)');
  });

  it('a clock a few seconds ahead (no NTP, a fast transport) is not marked', () => {
    const open = alertPayload({ ...base, type: 'open', tsLast, receivedAt: tsLast - 5_000 });
    expect(formatAlert(open, { now })).not.toMatch(/clock ahead|late/);
  });
});
