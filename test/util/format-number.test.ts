import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { formatNumber, formatShort } from '../../runtime/util/format-number.ts';
import { parseCount, parseNumber, parsePositiveInt } from '../../runtime/util/parse-option.ts';

describe('numbers as text', () => {
  it('formatNumber keeps float32 precision for files, without trailing zeros', () => {
    expect([0, 1024, -3, 0.0125, 57.33000183105469, 1.5e-9, 123456789.123, 2.5e21].map(formatNumber)).toEqual(['0', '1024', '-3', '0.0125', '57.33', '1.5e-9', '1.234568e+8', '2.5e+21']);
  });
  it('formatShort gives three digits for a person, exponent outside [0.001, 1e5)', () => {
    expect([0, 0.4567, 0.0125, 12.5, 1.5, 1000, 99999, 100000, 0.000999, -2e-7].map(formatShort)).toEqual(['0.00', '0.457', '0.0125', '12.5', '1.50', '1.00e+3', '1.00e+5', '1.00e+5', '9.99e-4', '-2.00e-7']);
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
});
