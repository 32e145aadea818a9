/** bench/lib/svg.ts: bench figures drawn with @vigil/plot (line with log axis and bands, grouped bars). */
import { describe, expect, it } from 'vitest';
import { renderFigure } from '../../bench/lib/svg.ts';

describe('renderFigure', () => {
  it('line: a path per series, decade ticks on a log axis, shaded bands, the legend, escaped text', () => {
    const svg = renderFigure({
      id: 'x', title: 'p99 <ms> & "rate"', kind: 'line', xLabel: 'rate', yLabel: 'ms', logY: true, bands: [[2, 3]],
      series: [{ name: 'a', points: [[1, 0.5], [2, 40], [4, 7]] }, { name: "b's", points: [[1, 2], [4, 3]] }],
    });
    expect(svg).toMatch(/^<svg [^>]*width="720"/);
    expect(svg).toContain('p99 &lt;ms&gt; &amp; &quot;rate&quot;');
    expect(svg.match(/<path d="M/g)).toHaveLength(2);
    for (const t of ['0.1', '1', '10', '100']) expect(svg).toContain(`>${t}</text>`);
    expect(svg).toContain('fill="#d62728" opacity="0.12"');
    expect(svg).toContain('b&#39;s');
  });

  it('bar: one rect per finite value, highlighted category in bold, value labels', () => {
    const svg = renderFigure({
      id: 'y', title: 'F1', kind: 'bar', xLabel: '', yLabel: 'F1', categories: ['vigil', 'other'], highlight: ['vigil'],
      series: [{ name: 'F1', points: [[0, 0.8], [1, NaN]] }],
    });
    expect(svg.match(/<rect x=/g)).toHaveLength(1);
    expect(svg).toMatch(/font-weight="bold">vigil</);
    expect(svg).toContain('>0.8</text>');
  });
});
