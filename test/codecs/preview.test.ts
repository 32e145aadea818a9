/**
 * A value's preview in error messages renders only what it shows: JSON.stringify of a 64 KB payload nested 20,000
 * deep cost 12 ms and then overflowed the stack. The shown text must stay what it was: JSON's text, cut at 60.
 */
import { describe, expect, it } from 'vitest';
import { preview } from '../../runtime/codecs/values.ts';
import { mulberry32 } from '@vigil/fixtures/tiny-model.ts';

/** The definition: JSON's whole text of the value, cut at 60 characters. */
function reference(v: unknown): string {
  const s = typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** A random value of JSON, as JSON.parse returns them: short and long strings and keys, nesting, every number kind. */
function randomJson(rand: () => number, depth: number): unknown {
  const r = rand();
  const text = () => Array.from({ length: Math.floor(rand() ** 3 * 90) }, () => String.fromCharCode(rand() < 0.9 ? 32 + Math.floor(rand() * 95) : Math.floor(rand() * 0x2fff))).join('');
  if (depth <= 0 || r < 0.3) {
    const k = rand();
    if (k < 0.25) return text();
    if (k < 0.5) return [0, -0, 1e21, 1.5e-7, -123.456, 2 ** 53, Number.MAX_VALUE][Math.floor(rand() * 7)];
    if (k < 0.6) return null;
    return rand() < 0.5;
  }
  const n = Math.floor(rand() * 6);
  if (r < 0.65) return Array.from({ length: n }, () => randomJson(rand, depth - 1));
  return JSON.parse(JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [rand() < 0.1 ? '__proto__' : `${text()}${i}`, randomJson(rand, depth - 1)]))));
}

describe('preview', () => {
  it('is JSON.stringify cut at 60 for every value of JSON', () => {
    const rand = mulberry32(11);
    for (let i = 0; i < 20_000; i++) {
      const v = randomJson(rand, 1 + Math.floor(rand() * 6));
      expect(preview(v), JSON.stringify(v)).toBe(reference(v));
    }
    for (const v of ['', 'x'.repeat(59), 'x'.repeat(60), 'x'.repeat(61), [], {}, [[]], { a: [] }, 'é\u2028"', 1e400, NaN]) expect(preview(v)).toBe(reference(v));
  });

  it('shows the start of a value nested deeper than the stack', () => {
    const deep = JSON.parse('['.repeat(20_000) + ']'.repeat(20_000));
    expect(preview(deep)).toBe(`${'['.repeat(57)}...`);
    const deepObject = JSON.parse('{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000));
    expect(preview(deepObject)).toBe(`${'{"a":'.repeat(11)}{"...`);
  });
});
