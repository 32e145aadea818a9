/**
 * Physical ranges (runtime/model/ranges.ts): the card's `ranges` are validated (finite, min < max, the model's
 * channels), `--range CH=MIN:MAX` parses to the same shape, and the CSV reader treats a cell outside its range
 * as a bad cell under the fill policy (or always as an error, for training).
 */
import { describe, expect, it } from 'vitest';
import { parseCard } from '../../runtime/model/card.ts';
import { outOfRange, outOfRangeText, parseRangeOption } from '../../runtime/model/ranges.ts';
import { CsvError, parseCsv } from '../../runtime/data/csv.ts';
import { tinyModel, meanLayer } from '@vigil/fixtures/tiny-model.ts';

const card = () => JSON.parse(JSON.stringify(tinyModel({ name: 'r', window: 4, channels: ['temp', 'pressure'], layers: [meanLayer(4, 2)], scaler: { kind: 'standard', offset: [0, 0], scale: [1, 1] }, threshold: 1 }).card));

describe('card ranges', () => {
  it('loads a card with ranges, and one without (older cards)', () => {
    expect(parseCard({ ...card(), ranges: { temp: [-40, 125], pressure: [0, 16] } }).ranges).toEqual({ temp: [-40, 125], pressure: [0, 16] });
    expect(parseCard(card()).ranges).toBeUndefined();
  });

  it('refuses min >= max, non-numbers, wrong arity and channels the model has not, naming the key', () => {
    expect(() => parseCard({ ...card(), ranges: { temp: [125, -40] } }, 'r.json')).toThrow(/r\.json is invalid:\n\s+ranges\.temp: expected min < max/);
    expect(() => parseCard({ ...card(), ranges: { temp: [5, 5] } })).toThrow(/ranges\.temp: expected min < max/);
    expect(() => parseCard({ ...card(), ranges: { temp: [0, '100'] } })).toThrow(/ranges\.temp\.1/);
    expect(() => parseCard({ ...card(), ranges: { temp: [0] } })).toThrow(/ranges\.temp/);
    expect(() => parseCard({ ...card(), ranges: { temp: { min: 0, max: 1 } } })).toThrow(/ranges\.temp/);
    expect(() => parseCard({ ...card(), ranges: { humidity: [0, 100] } }, 'r.json')).toThrow(/r\.json: ranges names channel\(s\) 'humidity' the model does not have; expected some of temp, pressure/);
  });

  it('finds the first value outside and says where the range was declared', () => {
    const ranges = { temp: [-40, 125] as [number, number] };
    expect(outOfRange({ temp: 125, pressure: 1e6 }, ranges)).toBeUndefined();
    const o = outOfRange({ temp: 250, pressure: 1 }, ranges)!;
    expect(o).toEqual({ channel: 'temp', value: 250, range: [-40, 125] });
    expect(outOfRangeText(o)).toBe("channel 'temp' is 250, outside its physical range [-40, 125] (ranges.temp in the model card)");
    expect(outOfRangeText(o, 'option')).toBe("channel 'temp' is 250, outside its physical range [-40, 125] (--range temp=-40:125)");
  });
});

describe('--range CH=MIN:MAX', () => {
  it('parses negative and exponent bounds', () => {
    expect(parseRangeOption('temp=-40:125')).toEqual(['temp', [-40, 125]]);
    expect(parseRangeOption('flow = 0 : 1.5e3')).toEqual(['flow', [0, 1500]]);
    expect(parseRangeOption('a=b=-1e-3:1e-3')).toEqual(['a=b', [-0.001, 0.001]]);
  });

  it('refuses what is not CH=MIN:MAX with finite MIN < MAX', () => {
    for (const bad of ['temp', 'temp=0', '=0:1', 'temp=a:1', 'temp=0:Infinity', 'temp=:5', 'temp=0:1:2']) {
      expect(() => parseRangeOption(bad), bad).toThrow(/expected CHANNEL=MIN:MAX with finite numbers/);
    }
    expect(() => parseRangeOption('temp=5:1')).toThrow(/expected MIN < MAX/);
  });
});

describe('CSV cells outside a range', () => {
  const csv = 'timestamp,temp,pressure\n2024-01-01T00:00:00Z,20,1\n2024-01-01T00:00:01Z,250,1\n2024-01-01T00:00:02Z,21,1\n';
  const ranges = { temp: [-40, 125] as [number, number] };

  it('under --fill error: an error naming file:line, column, value, range and the card', () => {
    let err: unknown;
    try {
      parseCsv(csv, { file: 'd.csv', ranges });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CsvError);
    expect((err as CsvError).message).toBe("d.csv:3: column 'temp': '250' is outside the physical range [-40, 125] of channel 'temp' (ranges.temp in the model card); expected a value in [-40, 125] (or pass --fill ffill)");
    expect(err).toMatchObject({ line: 3, column: 'temp' });
  });

  it('under ffill and zero: filled and counted like any bad cell', () => {
    const notes: string[] = [];
    expect(Array.from(parseCsv(csv, { ranges, fill: 'ffill', onNote: (n) => notes.push(n) }).data)).toEqual([20, 1, 20, 1, 21, 1]);
    expect(notes).toEqual(["<csv>: 1 cell(s) filled by --fill ffill (first: <csv>:3 column 'temp' '250')"]);
    expect(Array.from(parseCsv(csv, { ranges, fill: 'zero' }).data)).toEqual([20, 1, 0, 1, 21, 1]);
    // Without ranges the value is read as it is.
    expect(Array.from(parseCsv(csv).data)).toEqual([20, 1, 250, 1, 21, 1]);
  });

  it("outOfRange 'error' refuses the row whatever the fill policy (training data)", () => {
    expect(() => parseCsv(csv, { file: 't.csv', ranges, fill: 'ffill', outOfRange: 'error', rangeSource: 'option' })).toThrow(
      "t.csv:3: column 'temp': '250' is outside the physical range [-40, 125] of channel 'temp' (--range temp=-40:125); a row outside a physical range is refused whatever --fill says (remove it, or widen the range)",
    );
  });
});
