import { describe, expect, it } from 'vitest';
import { parseList } from '../../runtime/util/parse-option.ts';

describe('parseList', () => {
  it('splits on commas, trims, leaves empty items out', () => {
    expect(parseList('a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseList('Temp °C,Vib µm/s')).toEqual(['Temp °C', 'Vib µm/s']);
  });

  it('keeps the commas of a quoted item, as a quoted CSV header holds them (a probe could not name "Flow, m³/h")', () => {
    expect(parseList('"Flow, m³/h",Temp °C')).toEqual(['Flow, m³/h', 'Temp °C']);
    expect(parseList('a, "b, c" ,"say ""hi"""')).toEqual(['a', 'b, c', 'say "hi"']);
  });
});
