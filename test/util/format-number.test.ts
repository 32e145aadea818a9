import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { formatNumber, formatShort, timesThreshold } from '../../runtime/util/format-number.ts';
import { durationParser, parseCount, parseNumber, parsePositiveInt } from '../../runtime/util/parse-option.ts';
import { parseDuration } from '../../simulators/cli/options.ts';

describe('numbers as text', () => {
  it('timesThreshold rounds down, so a warning at 1.96x never reads as the critical 2.0x (a re-probe)', () => {
    expect([[1.96, 1], [2, 1], [36.56, 1], [0.6, 0.2], [1.0, 1]].map(([a, b]) => timesThreshold(a, b))).toEqual(['1.9x', '2.0x', '36.5x', '3.0x', '1.0x']);
    // A stuck sensor's window, exactly 2x and critical, as its payload's rounded numbers carry it (a probe read "1.9x").
    expect(timesThreshold(7.04277, 3.52139)).toBe('2.0x');
    expect(timesThreshold(1.9999, 1)).toBe('1.9x');
  });

  it('formatNumber keeps float32 precision for files, without trailing zeros', () => {
    expect([0, 1024, -3, 0.0125, 57.33000183105469, 1.5e-9, 123456789.123, 2.5e21].map(formatNumber)).toEqual(['0', '1024', '-3', '0.0125', '57.33', '1.5e-9', '1.234568e+8', '2.5e+21']);
    // An exponent ending in 0 keeps it (7.124045e-10 was written 7.124045e-1); zeros inside a number stay.
    expect([7.124045e-10, 3e-10, 1.23e-20, -4.5e-30, 1.000001e-10, 100.25, 120.5, 0.1].map(formatNumber)).toEqual(['7.124045e-10', '3e-10', '1.23e-20', '-4.5e-30', '1.000001e-10', '100.25', '120.5', '0.1']);
    for (const x of [7.124045e-10, 1.5e-9, 6.02e23 + 0.5, 2.2e-30, 9.87654e10 + 0.25]) expect(Number(formatNumber(x))).toBeCloseTo(x, -Math.floor(Math.log10(Math.abs(x))) + 5);
  });
  it('formatShort gives three digits for a person, exponent outside [0.001, 1e5)', () => {
    expect([0, 0.4567, 0.0125, 12.5, 1.5, 1000, 99999, 100000, 0.000999, -2e-7].map(formatShort)).toEqual(['0.00', '0.457', '0.0125', '12.5', '1.50', '1000', '99999', '1.00e+5', '9.99e-4', '-2.00e-7']);
  });
});

describe('numeric option parsers', () => {
  it('read numbers and refuse blank or malformed text, saying what was given', () => {
    expect(parseNumber('-2.5')).toBe(-2.5);
    expect(parseNumber('1e3')).toBe(1000);
    expect(() => parseNumber(' ')).toThrow(InvalidArgumentError);
    expect(() => parseNumber('ten')).toThrow(/expected a number; got 'ten'/);
    expect(parsePositiveInt('3')).toBe(3);
    expect(() => parsePositiveInt('0')).toThrow(/whole number >= 1/);
    expect(parseCount('0')).toBe(0);
    expect(() => parseCount('')).toThrow(/whole number >= 0/);
    expect(() => parseCount('1.5')).toThrow(/whole number >= 0/);
  });

  it('read durations with a unit, a bare number in the unit each command documents', () => {
    // vigil simulate: bare numbers are seconds, 0 refused; vigil evaluate --tolerance: milliseconds, 0 = none.
    const tolerance = durationParser('ms', { zero: true });
    expect([parseDuration('500ms'), parseDuration('30'), parseDuration('10m'), parseDuration('2h'), parseDuration('1d'), parseDuration('.5s')]).toEqual([500, 30_000, 600_000, 7_200_000, 86_400_000, 500]);
    expect([tolerance('500'), tolerance('0'), tolerance('30s'), tolerance('5min'), tolerance(' 2h ')]).toEqual([500, 0, 30_000, 300_000, 7_200_000]);
    expect(() => parseDuration('0')).toThrow(/^expected a duration like 500ms, 30s, 10m, 2h or 1d \(a bare number is seconds\); got '0'$/);
    expect(() => tolerance('5 weeks')).toThrow(/^expected a duration like 500ms, 30s, 10m, 2h or 1d \(a bare number is milliseconds; 0 = none\); got '5 weeks'$/);
    expect(() => tolerance('-1')).toThrow(InvalidArgumentError);
    expect(() => parseDuration('1.2.3s')).toThrow(InvalidArgumentError);
  });
});
