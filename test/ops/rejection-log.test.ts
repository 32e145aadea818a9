/**
 * Which rejected messages are logged (runtime/ops/rejection-log.ts): the first of each reason for each sensor, at most
 * FIRST_LINES a minute, and every 1000th of a reason. A probe: a second device's bad timestamps never showed in the log.
 */
import { describe, expect, it } from 'vitest';
import { FIRST_LINES, rejectionLog } from '../../runtime/ops/rejection-log.ts';
import type { Rejected } from '../../runtime/stream/types.ts';

const rej = (sensor: string, reason = 'bad_timestamp', at = 0): Rejected => ({ reason: reason as Rejected['reason'], detail: 'x', topic: `s/${sensor}/data`, receivedAt: at, sensor });

describe('rejection log lines', () => {
  it('logs the first rejection of each sensor for each reason, then only every 1000th of the reason', () => {
    const l = rejectionLog();
    let count = 0;
    const logged = (r: Rejected) => l.shouldLog(r, ++count, r.receivedAt);
    expect([logged(rej('dev-a')), logged(rej('dev-a')), logged(rej('dev-b')), logged(rej('dev-b')), logged(rej('dev-a', 'bad_value'))]).toEqual([true, false, true, false, true]);
    count = 998;
    expect([logged(rej('dev-a')), logged(rej('dev-a'))]).toEqual([false, true]);
  });

  it('a flood of junk topics gets at most FIRST_LINES first lines a minute, and more the next minute', () => {
    const l = rejectionLog();
    let count = 0;
    const lines = Array.from({ length: 2000 }, (_, i) => l.shouldLog(rej(`junk-${i}`, 'bad_json', i), ++count, i)).filter(Boolean).length;
    // The reason's first, FIRST_LINES sensors' firsts, and the 1000th and 2000th.
    expect(lines).toBe(1 + FIRST_LINES + 2);
    const next = Array.from({ length: 100 }, (_, i) => l.shouldLog(rej(`junk-${5000 + i}`, 'bad_json', 60_000 + i), ++count, 60_000 + i)).filter(Boolean).length;
    expect(next).toBe(FIRST_LINES);
  });
});
