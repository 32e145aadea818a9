/**
 * Maintenance of a sensor whose clock is off the gateway's (runtime/alerts/maintenance.ts `SensorClock`): the span
 * an operator sets from the gateway's wall clock is read on the sensor's own clock, as its live windows show it
 * (data time ahead of arrival, or behind), so the readings taken during the work are the ones muted. Before, a
 * sensor an hour behind kept alerting for the first hour of the work and stayed muted an hour after it; one two
 * hours ahead under an hour's maintenance was never muted at all. A maintenance set before the sensor's clock is known is read on it
 * once it is. A backlog (windows stamped long before they
 * arrive, at a faster pace than they were taken) does not move the clock, and is judged as usual; the clock is saved
 * with the alert state.
 */
import { describe, expect, it } from 'vitest';
import { AlertTracker, checkPolicy } from '../../runtime/alerts/tracker.ts';
import { AlertBank } from '../../runtime/alerts/alert-bank.ts';
import { operatorCommands } from '../../runtime/ops/sensor-commands.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import type { Verdict } from '../../runtime/stream/types.ts';

const policy = checkPolicy({ openK: 3, openN: 5, closeM: 2, cooldownMs: 0, openCritical: false });
const HOUR = 3_600_000;
const WALL = Date.UTC(2026, 11, 7, 9, 0, 0);
/** A window of the sensor, its last reading taken at `ts` on its own clock and arriving at `at` on the gateway's. */
const verdict = (ts: number, at: number, score: number): Verdict => ({
  sensor: 's', seq: ts, tsFirst: ts - 1000, tsLast: ts, receivedAt: at, data: new Float32Array(6), score, perChannel: Float32Array.from([1, 2]),
  provider: 'ort-node/cpu', threshold: 1, anomaly: score > 1,
});
/** `n` live windows 10 s apart from wall time `at`, stamped `lead` ms off it. */
const live = (t: AlertTracker, at: number, lead: number, n: number, score: number) =>
  Array.from({ length: n }, (_, i) => t.step(verdict(at + lead + 10_000 * i, at + 10_000 * i, score)).kind);

/** A bank holding sensor `s`, and the command that puts it under maintenance at wall time `now()`. */
function setUp() {
  const bank = new AlertBank(policy);
  let now = WALL;
  const cmds = operatorCommands({} as never, bank, (() => ({})) as never, createLogger('silent'), {} as never, () => {}, () => now);
  return { bank, t: bank.get('s'), cmds, at: (ms: number) => (now = ms) };
}

describe('maintenance of a sensor whose clock is off the gateway\'s', () => {
  for (const lead of [-HOUR, 2 * HOUR]) {
    it(`a clock ${lead < 0 ? 'an hour behind' : 'two hours ahead'}: the windows of the work are muted, and those after it alert`, () => {
      const { t, cmds, at } = setUp();
      expect(live(t, WALL - 130_000, lead, 13, 0.5)).toEqual(Array(13).fill('none'));
      at(WALL);
      expect(cmds.command('maintenance', 's', 60, 'test')).toMatchObject({ ok: true, until: new Date(WALL + HOUR).toISOString() });
      // The work, readings taken (and arriving) from the command on: muted.
      expect(live(t, WALL + 10_000, lead, 6, 5)).toEqual(Array(6).fill('muted'));
      expect(live(t, WALL + HOUR - 60_000, lead, 5, 5)).toEqual(Array(5).fill('muted'));
      // An hour after the command, on the sensor's clock too: judged again, on fresh evidence.
      expect(live(t, WALL + HOUR + 10_000, lead, 3, 5)).toEqual(['none', 'none', 'open']);
    });
  }

  it('a sender that publishes in batches (ten readings every ten seconds), its clock an hour behind: muted as the work goes on', () => {
    const { t, cmds, at } = setUp();
    /** Windows a second apart from wall time `from`, each arriving with its batch at the next ten-second mark. */
    const batched = (from: number, n: number, score: number) =>
      Array.from({ length: n }, (_, i) => t.step(verdict(from - HOUR + 1000 * i, from + 10_000 * Math.ceil((i + 1) / 10), score)).kind);
    expect(batched(WALL - 120_000, 110, 0.5)).toEqual(Array(110).fill('none'));
    at(WALL);
    cmds.command('maintenance', 's', 60, 'test');
    expect(batched(WALL, 30, 5)).toEqual(Array(30).fill('muted'));
  });

  it('a command before the sensor\'s clock is known (in the minute after a start): the work is muted once it is', () => {
    const { t, cmds, at } = setUp();
    live(t, WALL - 20_000, -HOUR, 2, 0.5);
    at(WALL);
    cmds.command('maintenance', 's', 60, 'test');
    // A minute of its data later its clock is known: the windows from then on are muted.
    expect(live(t, WALL + 10_000, -HOUR, 10, 5).slice(-4)).toEqual(Array(4).fill('muted'));
  });

  it('a backlog drained after the command does not read as a clock behind: readings taken before it are judged', () => {
    const { t, cmds, at } = setUp();
    // Live until half an hour before the command, then cut off; its gateway flushes what it kept once back.
    live(t, WALL - 30 * 60_000, 0, 13, 0.5);
    at(WALL);
    cmds.command('maintenance', 's', 60, 'test');
    // Readings of 20 minutes before the command, drained 100 ms apart right after it: judged, an alert opens.
    const backlog = Array.from({ length: 5 }, (_, i) => t.step(verdict(WALL - 20 * 60_000 + 10_000 * i, WALL + 100 * i, 5)).kind);
    expect(backlog).toEqual(['none', 'none', 'open', 'none', 'none']);
    // Then the live windows of the work: the open alert closes for maintenance, and nothing opens.
    expect(live(t, WALL + 10_000, 0, 4, 5)).toEqual(['close', 'muted', 'muted', 'muted']);
  });

  it('the sensor\'s clock is saved with its alert state: after a restart its maintenance is read on it', () => {
    const { t } = setUp();
    live(t, WALL - 130_000, -HOUR, 13, 0.5);
    const saved = JSON.parse(JSON.stringify(t.toJSON()));
    const bank = new AlertBank(policy, { saved: { s: saved } });
    const cmds = operatorCommands({} as never, bank, (() => ({})) as never, createLogger('silent'), {} as never, () => {}, () => WALL);
    expect(cmds.command('maintenance', 's', 60, 'test').ok).toBe(true);
    expect(live(bank.get('s'), WALL + 10_000, -HOUR, 3, 5)).toEqual(Array(3).fill('muted'));
    expect(() => AlertTracker.restore(policy, { ...saved, clockLead: 'an hour' })).toThrow(/clockLead must be a finite number/);
  });
});
