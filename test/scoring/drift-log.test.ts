/**
 * The level-drift log (runtime/scoring/drift-log.ts): a line when a sensor's channel starts or stops counting for
 * less than half its weight, none while nothing changes, and at most `maxLines` per call with the rest counted.
 */
import { describe, expect, it } from 'vitest';
import { createDriftLog, shiftedChannels } from '../../runtime/scoring/drift-log.ts';
import type { ResidualModel } from '../../runtime/scoring/mahalanobis.ts';

const model: ResidualModel = { mean: [0, 0], precision: [1, 0, 0, 4], shrinkage: 0, windows: 100, method: 'test', tracking: { rate: 0.003, below: 5, drift: [0.1, 0] } };
const channels = ['motor_temp', 'flow'];
/** A tracked state: means, then level uncertainties. */
const state = (mean0: number, p0: number) => Float64Array.from([mean0, 0, p0, 0]);

describe('level drift log', () => {
  it('says when a channel starts and stops being excused, once each', () => {
    const lines: [Record<string, unknown>, string][] = [];
    const log = createDriftLog({ write: (f, m) => lines.push([f, m]) });
    expect(log.report(model, channels, [['pump-1', state(0, 0.5)]])).toBe(0);
    // Uncertainty 5 x its residual variance: the channel counts sqrt(1 / 6) = 41 % of its weight.
    expect(log.report(model, channels, [['pump-1', state(2, 5)]])).toBe(1);
    expect(lines[0][0]).toEqual({ sensor: 'pump-1', channel: 'motor_temp', weight: 0.41, levelMovedSd: 2 });
    expect(lines[0][1]).toMatch(/^level drift: pump-1 motor_temp now counts 41 % of its weight: .* 2 sd from training$/);
    expect(log.report(model, channels, [['pump-1', state(2.5, 6)]])).toBe(0);
    expect(log.report(model, channels, [['pump-1', state(3, 0.2)]])).toBe(1);
    expect(lines[1][1]).toMatch(/^level drift: pump-1 motor_temp counts 91 % of its weight again: normal windows confirmed its level \(3 sd from training\)$/);
  });

  it('writes at most maxLines per call and counts the rest; nothing for a card without drift', () => {
    const lines: string[] = [];
    const log = createDriftLog({ write: (_, m) => lines.push(m), maxLines: 3 });
    const many = Array.from({ length: 5 }, (_, i): [string, Float64Array] => [`s${i}`, state(1, 10)]);
    expect(log.report(model, channels, many)).toBe(4);
    expect(lines.at(-1)).toBe('level drift: 2 more channel(s) started or stopped being excused');
    const { drift: _, ...plain } = model.tracking!;
    expect(log.report({ ...model, tracking: plain }, channels, many)).toBe(0);
  });

  it('forgets a sensor no longer held, so it is reported afresh when it comes back excused', () => {
    const lines: string[] = [];
    const log = createDriftLog({ write: (_, m) => lines.push(m) });
    log.report(model, channels, [['a', state(1, 10)]]);
    log.report(model, channels, []);
    expect(log.report(model, channels, [['a', state(1, 10)]])).toBe(1);
    expect(lines).toHaveLength(2);
  });

  it('starts afresh when another model goes into service: its fresh states are no confirmation', () => {
    const lines: string[] = [];
    const log = createDriftLog({ write: (_, m) => lines.push(m) });
    log.report(model, channels, [['a', state(1, 10)]]);
    const adapted: ResidualModel = { ...model, tracking: { ...model.tracking!, drift: [...model.tracking!.drift!] } };
    expect(log.report(adapted, channels, [['a', state(0, 0)]])).toBe(0);
    expect(lines).toHaveLength(1);
  });
});

describe('input drift log', () => {
  const inputs: ResidualModel = { ...model, tracking: { rate: 0.003, below: 5, input: 0.003 } };
  /** A tracked state with input offsets: means, level uncertainties (0), then offsets. */
  const shifted = (o0: number) => Float64Array.from([0, 0, 0, 0, o0, 0]);

  it('says when a channel starts being fed shifted (beyond 1 training sd) and when it is back (under half that)', () => {
    const lines: [Record<string, unknown>, string][] = [];
    const log = createDriftLog({ write: (f, m) => lines.push([f, m]) });
    expect(log.report(inputs, channels, [['pump-1', shifted(0.9)]])).toBe(0);
    expect(log.report(inputs, channels, [['pump-1', shifted(1.25)]])).toBe(1);
    expect(lines[0][0]).toEqual({ sensor: 'pump-1', channel: 'motor_temp', shift: -1.25 });
    expect(lines[0][1]).toMatch(/^input drift: pump-1 motor_temp is now fed to the model shifted by -1.25 \(scaled units: training sd with the standard scaler\): its level has moved above what training saw/);
    // Hysteresis: still shifted at 0.6, back at 0.4.
    expect(log.report(inputs, channels, [['pump-1', shifted(0.6)]])).toBe(0);
    expect(log.report(inputs, channels, [['pump-1', shifted(0.4)]])).toBe(1);
    expect(lines[1][1]).toBe('input drift: pump-1 motor_temp is back near its training level (shift -0.4)');
  });

  it('with level drift too: both kinds are reported (3C-long states), within one budget of maxLines', () => {
    const both: ResidualModel = { ...model, tracking: { rate: 0.003, below: 5, drift: [0.1, 0], input: 0.003 } };
    const lines: string[] = [];
    const log = createDriftLog({ write: (_, m) => lines.push(m), maxLines: 2 });
    // Uncertainty 5 x the residual variance: motor_temp counts 41 %; and it is fed shifted by -2.
    expect(log.report(both, channels, [['pump-1', Float64Array.from([2, 0, 5, 0, 2, 0])]])).toBe(2);
    expect(lines[0]).toMatch(/^input drift: pump-1 motor_temp is now fed/);
    expect(lines[1]).toMatch(/^level drift: pump-1 motor_temp now counts 41 % of its weight/);
    lines.length = 0;
    const many = Array.from({ length: 3 }, (_, i): [string, Float64Array] => [`s${i}`, Float64Array.from([2, 0, 5, 0, 2, 0])]);
    expect(log.report(both, channels, many)).toBe(4);
    expect(lines).toEqual([expect.stringMatching(/^input drift: s0/), expect.stringMatching(/^input drift: s1/), 'input drift: 1 more channel(s) started or stopped being shifted', 'level drift: 3 more channel(s) started or stopped being excused']);
  });
});

describe('shifted channels (dashboard)', () => {
  it('lists channels shifted by a quarter sd or more, largest first; none for a card without input tracking', () => {
    const inputs: ResidualModel = { ...model, tracking: { rate: 0.003, below: 5, input: 0.003 } };
    expect(shiftedChannels(inputs, channels, Float64Array.from([0, 0, 0, 0, 0.3, -1.2]))).toEqual([{ channel: 'flow', offset: -1.2 }, { channel: 'motor_temp', offset: 0.3 }]);
    expect(shiftedChannels(inputs, channels, Float64Array.from([0, 0, 0, 0, 0.2, 0]))).toEqual([]);
    expect(shiftedChannels(model, channels, Float64Array.from([0, 0, 0, 0]))).toEqual([]);
  });
});
