/** `vigil score`'s alert summary: one line per alert with its span, peak, channels and cause. */
import { describe, expect, it } from 'vitest';
import { alertLines, outsideText } from '../../runtime/alerts/alert-lines.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';

const T0 = Date.UTC(2024, 0, 1);
const event = (type: 'open' | 'escalate' | 'close', at: number, extra: Partial<AlertEvent> = {}): AlertEvent => ({
  type, sensor: 's', tsFirst: T0 + at - 31_000, tsLast: T0 + at, score: type === 'open' ? 25 : 1, threshold: 10,
  contributors: [{ channel: 'flow', share: 0.9 }, { channel: 'speed', share: 0.1 }], model: { name: 'm', version: '1' }, provider: 'p', ...extra,
});

describe('alert lines', () => {
  it('prints each closed alert from its opening, its length, peak over the bar, channels and cause, and one still open', () => {
    const lines = alertLines([
      event('open', 60_000),
      event('close', 170_000, { openedAt: T0 + 60_000, durationMs: 110_000, peakScore: 140, cause: 'stuck' }),
      event('open', 3_600_000, { cause: 'spread' }),
    ]);
    expect(lines).toEqual([
      '  2024-01-01 00:01  lasted 1m 50s  peak 140 (14.0x)  flow 90%, speed 10%  flow: a stuck sensor (holding exactly still)',
      '  2024-01-01 01:00  still open at the end  opened at 25.0 (2.5x)  flow 90%, speed 10%  a roughened signal (row-to-row spread)',
    ]);
  });

  it('says when an alert was judged on a channel nobody measured (its open or its worst window)', () => {
    const lines = alertLines([
      event('open', 60_000, { incomplete: true }),
      event('close', 170_000, { openedAt: T0 + 60_000, durationMs: 110_000, peakScore: 140 }),
      event('open', 3_600_000),
    ]);
    expect(lines[0]).toMatch(/flow 90%, speed 10% .*judged with a channel its readings did not carry/);
    expect(lines[1]).not.toMatch(/did not carry/);
  });

  it('lists each escalation under its alert: a fault on top of an alert already open shows there, not in the close', () => {
    const lines = alertLines([
      event('open', 60_000, { score: 17, contributors: [{ channel: 'setpoint', share: 0.95 }] }),
      event('escalate', 600_000, { score: 430, contributors: [{ channel: 'pressure', share: 0.5 }, { channel: 'motor_current', share: 0.4 }], openedAt: T0 + 60_000 }),
      event('close', 900_000, { openedAt: T0 + 60_000, durationMs: 840_000, peakScore: 430, contributors: [{ channel: 'pressure', share: 0.5 }] }),
      event('open', 3_600_000, { score: 17, contributors: [{ channel: 'setpoint', share: 0.95 }] }),
      event('escalate', 4_000_000, { score: 430, contributors: [{ channel: 'flow', share: 1 }], openedAt: T0 + 3_600_000 }),
    ]);
    expect(lines).toEqual([
      // Opened by the setpoint, named after its peak: both are said (a probe read a 2-day alert by its peak alone).
      '  2024-01-01 00:01:00  lasted 14m 00s  peak 430 (43.0x)  pressure 50%  (opened on setpoint 95%)',
      '    escalated 2024-01-01 00:10:00  430 (43.0x)  pressure 50%, motor_current 40%',
      '  2024-01-01 01:00:00  still open at the end  opened at 17.0 (1.7x)  setpoint 95%',
      '    escalated 2024-01-01 01:06:40  430 (43.0x)  flow 100%',
    ]);
  });

  it('prints every time of the list alike: with seconds on all when any has them, as minutes when none has', () => {
    const mixed = alertLines([
      event('open', 300_000),
      event('close', 400_000, { openedAt: T0 + 300_000, durationMs: 100_000, peakScore: 30 }),
      event('open', 10_837_000),
    ]);
    // A probe read `05:00` beside `03:00:37` in one list.
    expect(mixed.map((l) => l.slice(2, 21))).toEqual(['2024-01-01 00:05:00', '2024-01-01 03:00:37']);
    const whole = alertLines([event('open', 300_000), event('close', 420_000, { openedAt: T0 + 300_000, durationMs: 120_000, peakScore: 30 })]);
    expect(whole[0].slice(2, 19)).toBe('2024-01-01 00:05 ');
  });

  it('shows the first few and says how many more', () => {
    const events = Array.from({ length: 12 }, (_, k) => [event('open', k * 60_000), event('close', k * 60_000 + 30_000, { openedAt: T0 + k * 60_000, durationMs: 30_000, peakScore: 30 })]).flat();
    const lines = alertLines(events, 3);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('  ... and 9 more (the alert column of the CSV has them all)');
    expect(alertLines([])).toEqual([]);
  });

  it("reads a trained end that is 0 up to float residue as 0, not as -1.38e-7 (a damper closed all night)", () => {
    expect(outsideText([{ channel: 'damper_pos', value: 55, low: -1.38e-7, high: 35.1 }])).toBe('outside training: damper_pos 55.0 (trained 0.00 to 35.1)');
    expect(outsideText([{ channel: 'filter_dp', value: 242, low: 1.54e-6, high: 141 }])).toBe('outside training: filter_dp 242 (trained 0.00 to 141)');
    // Small figures of a channel on a small scale keep their digits.
    expect(outsideText([{ channel: 'vib', value: 0.0042, low: 0.0011, high: 0.0023 }])).toBe('outside training: vib 0.00420 (trained 0.00110 to 0.00230)');
  });
});
