/**
 * channelRecord: the values object made in one step is the object the loop of assignments made, name for name;
 * channelReader: what it reads back is what `values[name]` gave, channel by channel.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { channelReader, channelRecord } from '../../runtime/util/channel-record.ts';

/** The object as codecs built it before: each channel assigned in turn onto `{}`. */
function byAssignment(names: readonly string[], values: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (let c = 0; c < names.length; c++) out[names[c]] = values[c];
  return out;
}

/** Keys in order, each value (Object.is: -0 and NaN told apart), its descriptor, and the prototype. */
function sameObject(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b);
  if (JSON.stringify(ka) !== JSON.stringify(kb) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  return ka.every((k) => {
    const da = Object.getOwnPropertyDescriptor(a, k)!;
    const db = Object.getOwnPropertyDescriptor(b, k)!;
    return Object.is(da.value, db.value) && da.writable === db.writable && da.enumerable === db.enumerable && da.configurable === db.configurable;
  });
}

const cases: Record<string, string[]> = {
  'plain channels': ['flow', 'motor_current', 'temperature', 'pressure', 'vibration_rms', 'voltage', 'speed', 'power'],
  'integer-like names (listed first, ascending, either way)': ['10', 'b', '2', 'a', '1'],
  'quotes, backslashes, controls, non-ASCII, a line separator': ['a"b', 'c\\d', 'e\nf', 'température', 'x\u2028y', '${1}', "'); throw 1; ('"],
  'names Object.prototype has, and __proto__ (ignored for a number either way)': ['constructor', '__proto__', 'toString', 'x'],
  'a repeated name (the last value wins, at the first place)': ['a', 'b', 'a'],
  'one channel': ['only'],
};

describe('channelRecord', () => {
  for (const [what, names] of Object.entries(cases)) {
    it(`makes the object the assignments made: ${what}`, () => {
      const make = channelRecord(names);
      for (const values of [names.map((_, c) => c + 0.5), names.map((_, c) => (c % 2 ? -0 : Number.NaN)), new Float64Array(names.length).fill(-1e300)]) {
        const got = make(values);
        expect(sameObject(got, byAssignment(names, values)), JSON.stringify(names)).toBe(true);
      }
    });
  }

  it('makes a new object each call, and keeps no reference to the values it was given', () => {
    const make = channelRecord(['a', 'b']);
    const v = new Float64Array([1, 2]);
    const first = make(v);
    v[0] = 9;
    const second = make(v);
    expect(first).not.toBe(second);
    expect(first.a).toBe(1);
    expect(second.a).toBe(9);
  });
});

describe('channelReader', () => {
  /** What the window stage read before: `values[name]` for each channel in turn. */
  const byName = (names: readonly string[], values: Record<string, unknown>) => names.map((n) => values[n]);

  for (const [what, names] of Object.entries(cases)) {
    it(`reads what values[name] reads: ${what}`, () => {
      const read = channelReader(names);
      const out: unknown[] = [];
      const objects: Record<string, unknown>[] = [
        channelRecord(names)(names.map((_, c) => c - 0.25)),
        // Some channels absent, one a string, one null, one NaN, one -0: read as they are, not judged here.
        Object.fromEntries(names.slice(1).map((n, c) => [n, [null, 'x', Number.NaN, -0, 7][c % 5]])),
        {},
      ];
      for (const values of objects) {
        const got = read(values, out);
        expect(got).toBe(out);
        const want = byName(names, values);
        expect(got.length).toBe(want.length);
        got.forEach((v, c) => expect(Object.is(v, want[c]), `${JSON.stringify(names)} channel ${c}`).toBe(true));
      }
    });
  }

  it('reads what an object has through its prototype, as a lookup by name does', () => {
    const proto = { inherited: 3 };
    const values = Object.create(proto) as Record<string, unknown>;
    values.own = 1;
    expect(channelReader(['own', 'inherited', 'missing'])(values, [])).toEqual([1, 3, undefined]);
  });
});

describe('where code cannot be made at run time (the dashboard page: a CSP without unsafe-eval)', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('makes and reads the same objects with loops', () => {
    vi.stubGlobal('Function', function refused() {
      throw new EvalError("Refused to evaluate a string as JavaScript because 'unsafe-eval' is not an allowed source");
    });
    for (const names of Object.values(cases)) {
      const values = names.map((_, c) => c * 3 - 1.5);
      const record = channelRecord(names)(values);
      expect(sameObject(record, byAssignment(names, values)), JSON.stringify(names)).toBe(true);
      const out: unknown[] = [];
      expect(channelReader(names)(record, out)).toEqual(names.map((n) => record[n]));
    }
  });
});
