/** @vigil/plot: the one escaping function and the SVG pieces (scales, axes, envelopes). */
import { describe, expect, it } from 'vitest';
import { envelopePoints, esc, linearScale, linePath, logScale, svgDoc, text } from '@vigil/plot';

describe('esc', () => {
  it('escapes the five characters that matter in HTML/SVG text and in either kind of quoted attribute', () => {
    expect(esc(`a<b> & "c" 'd'`)).toBe('a&lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;');
    expect(esc('&amp;')).toBe('&amp;amp;');
    expect(esc(42)).toBe('42');
    expect(esc(null)).toBe('null');
  });

  it('keeps a value inside its attribute whatever it holds', () => {
    const svg = svgDoc(10, 10, [text(1, 2, `x" onload="alert(1)`, { 'data-n': `'><script>` })]);
    expect(svg).not.toContain('"alert');
    expect(svg).not.toContain('<script');
    expect(svg).toContain('data-n="&#39;&gt;&lt;script&gt;"');
    expect(text(1.234, 2, 'x', { opacity: 0.15 })).toBe('<text x="1.23" y="2" opacity="0.15">x</text>');
  });
});

describe('scales', () => {
  it('linear: nice rounds the domain out to whole steps; ticks are round numbers', () => {
    const s = linearScale(0.3, 19.2, 0, 100, { nice: true });
    expect([s.lo, s.hi]).toEqual([0, 20]);
    expect(s.ticks).toEqual([0, 5, 10, 15, 20]);
    expect(s.map(10)).toBe(50);
    const raw = linearScale(0.3, 19.2, 100, 0);
    expect(raw.ticks).toEqual([5, 10, 15]);
    expect(raw.map(0.3)).toBe(100);
  });

  it('log: decades, or 1-2-5 with minor; values below the domain sit on its edge', () => {
    const s = logScale(0.03, 40, 0, 300, { nice: true });
    expect(s.ticks).toEqual([0.01, 0.1, 1, 10, 100]);
    expect(s.map(1e-9)).toBe(0);
    expect(logScale(0.03, 40, 0, 1, { minor: true }).ticks).toEqual([0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20]);
  });

  it('a flat series still gets a usable scale', () => {
    const s = linearScale(5, 5, 0, 10);
    expect(Number.isFinite(s.map(5))).toBe(true);
    expect(s.ticks.length).toBeGreaterThan(1);
  });
});

describe('series', () => {
  it('envelope: a one-row spike survives drawing 10,000 rows 100 px wide', () => {
    const pts = envelopePoints(10_000, (r) => (r === 4321 ? 100 : 0), 100, 0, 99, (v) => -v);
    const ys = pts.split(' ').map((p) => Number(p.split(',')[1]));
    expect(Math.min(...ys)).toBe(-100);
    expect(pts.split(' ')).toHaveLength(200);
  });

  it('linePath: M then L, rounded to 0.1 px', () => {
    expect(linePath([[0, 1.234], [2.06, 3]])).toBe('M0,1.2 L2.1,3');
  });
});
