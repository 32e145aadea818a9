/**
 * The refusal of a payload in another format than the source's codec names the setting that reads it: a
 * `;`-separated line (decimal commas) sent to a `,` csv source was refused as "timestamp '1796627123160;38' is not a
 * timestamp", and a JSON array sent to the json codec as "payload is an array; expected a JSON object" (a probe), with
 * nothing pointing at `source.codec.delimiter` or the `json-array` codec.
 */
import { describe, expect, it } from 'vitest';
import { createCodec, DEFAULT_TIMESTAMP } from '../../runtime/codecs/index.ts';
import { ok, rej } from './decoded.ts';

const NOW = Date.UTC(2026, 11, 7, 7, 31, 25);
const ctx = { channels: ['flow', 'motor_current', 'temperature'], timestamp: DEFAULT_TIMESTAMP };
const msg = (text: string) => ({ topic: 'plant/p1/data', payload: new TextEncoder().encode(text), receivedAt: NOW });
const where = { sensor: 'p1' };

describe('a payload in another format than the codec reads', () => {
  it("csv: a line separated by another delimiter says which, and the setting; the delimiter's own lines still read", () => {
    const csv = createCodec({ kind: 'csv' }, ctx);
    expect(rej(csv.decode(msg(`${NOW};38,4;13,2;33,6`), where)).detail).toMatch(/ \(the payload holds ';': if its fields are separated by it, set source\.codec\.delimiter\)$/);
    expect(rej(csv.decode(msg(`${NOW}\t38.4\t13.2\t33.6`), where)).detail).toMatch(/holds '\\t'/);
    expect(ok(csv.decode(msg(`${NOW},38.4,13.2,33.6`), where))[0].values).toEqual({ flow: 38.4, motor_current: 13.2, temperature: 33.6 });
    // A refusal with no other delimiter in it says nothing more.
    expect(rej(csv.decode(msg(`${NOW},38.4,x,33.6`), where)).detail).not.toMatch(/delimiter/);
    const semicolon = createCodec({ kind: 'csv', delimiter: ';' }, ctx);
    expect(ok(semicolon.decode(msg(`${NOW};38.4;13.2;33.6`), where))[0].values.flow).toBe(38.4);
    expect(rej(semicolon.decode(msg(`${NOW},38.4,13.2,33.6`), where)).detail).toMatch(/holds ',': if its fields are separated by it/);
  });

  it('json: an array names the json-array codec', () => {
    const json = createCodec({ kind: 'json' }, ctx);
    expect(rej(json.decode(msg(`[${NOW}, 38.4, 13.2, 33.6]`), where))).toMatchObject({
      reason: 'bad_shape',
      detail: expect.stringMatching(/^payload is an array; expected a JSON object like .* \(an array of values in the model's channel order is codec 'json-array': source\.codec\)$/),
    });
    expect(rej(json.decode(msg('"text"'), where)).detail).not.toMatch(/json-array/);
  });
});
