// Scratch (issue 13, nab2): missed windows at the standard threshold for a recipe and seed; a PNG per missed window.
import { writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { band, envelopePoints, linearScale, linePath, svgDoc, text, el, yAxis } from '../../plot/index.ts';
import { scoreDetector } from '../../evaluate/nab/score.ts';
import { probationaryLength } from '../../evaluate/nab/sweep.ts';
import { samplingInterval } from '../../evaluate/detector/nab-detector.ts';
import { corpus, recipeScores } from './score.mts';

const [recipe = 'base', seedArg = '42', plotDir = '', missedBy = recipe] = process.argv.slice(2);
const scores = recipeScores(recipe, Number(seedArg));
const mscores = recipeScores(missedBy, Number(seedArg));
const res = scoreDetector(corpus, mscores, missedBy).profiles.standard;
const thr = res.threshold!;
process.stdout.write(`threshold ${thr.toFixed(3)} windowsHit ${res.counts.windowsHit}\n`);
if (plotDir) mkdirSync(plotDir, { recursive: true });
let k = 0;
for (const f of corpus.files) {
  const s = scores.get(f.path)!; const P = probationaryLength(f.values.length);
  const iv = samplingInterval(f.timestamps) / 60000;
  f.windows.forEach(([a, b], wi) => {
    let mx = 0; for (let i = a; i <= b; i++) mx = Math.max(mx, mscores.get(f.path)![i]);
    if (mx >= thr || b < P) return;
    k++;
    const name = f.path.replace(/^.*\//, '').replace('.csv', '');
    process.stdout.write(`${String(k).padStart(2)} ${f.path.padEnd(58)} w${wi} rows ${a}-${b} (${b - a + 1} rows, ${((b - a + 1) * iv / 60).toFixed(1)} h) every ${iv} min; max score ${mx.toFixed(3)}\n`);
    if (!plotDir) return;
    const Wd = 1100, H = 560;
    const n = f.values.length;
    const z0 = Math.max(0, a - Math.max(4 * (b - a), Math.round(3 * 1440 / iv))), z1 = Math.min(n - 1, b + 2 * (b - a));
    const body: string[] = [text(10, 16, `${f.path} window ${wi} (${f.rawTimestamps[a]} .. ${f.rawTimestamps[b]}), every ${iv} min, max score ${mx.toFixed(2)} < ${thr.toFixed(2)}`, { 'font-size': 12 })];
    // Panel 1: the whole file.
    const b1 = { left: 60, right: Wd - 10, top: 30, bottom: 170 };
    let lo = Infinity, hi = -Infinity; for (const v of f.values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const y1 = linearScale(lo, hi, b1.bottom, b1.top);
    const x1 = (r: number) => b1.left + (r / (n - 1)) * (b1.right - b1.left);
    body.push(band(x1(0), x1(P), b1, '#999', 0.2));
    for (const [c, d] of f.windows) body.push(band(x1(c), x1(d), b1, c === a ? '#e33' : '#3a3', 0.3, 2));
    body.push(band(x1(z0), x1(z1), b1, '#36f', 0.08));
    body.push(el('polyline', { points: envelopePoints(n, (r) => f.values[r], b1.right - b1.left, b1.left, b1.right - b1.left, y1.map), fill: 'none', stroke: '#222', 'stroke-width': 0.7 }));
    body.push(...yAxis(y1, b1, (v) => v.toPrecision(3)));
    // Panel 2: zoom on values.
    const b2 = { left: 60, right: Wd - 10, top: 190, bottom: 420 };
    lo = Infinity; hi = -Infinity; for (let r = z0; r <= z1; r++) { lo = Math.min(lo, f.values[r]); hi = Math.max(hi, f.values[r]); }
    const y2 = linearScale(lo, hi, b2.bottom, b2.top);
    const x2 = (r: number) => b2.left + ((r - z0) / Math.max(1, z1 - z0)) * (b2.right - b2.left);
    body.push(band(x2(a), x2(b), b2, '#e33', 0.2));
    // Day boundaries (UTC midnight) as faint lines.
    for (let r = z0 + 1; r <= z1; r++) if (Math.floor(f.timestamps[r] / 86400000) !== Math.floor(f.timestamps[r - 1] / 86400000)) body.push(el('line', { x1: x2(r), x2: x2(r), y1: b2.top, y2: b2.bottom, stroke: new Date(f.timestamps[r]).getUTCDay() === 1 ? '#36f' : '#bbb', 'stroke-width': 0.6 }));
    const pts: Array<[number, number]> = []; for (let r = z0; r <= z1; r++) pts.push([x2(r), y2.map(f.values[r])]);
    body.push(el('path', { d: linePath(pts), fill: 'none', stroke: '#222', 'stroke-width': 0.8 }));
    body.push(...yAxis(y2, b2, (v) => v.toPrecision(3)));
    // Panel 3: score in the zoom.
    const b3 = { left: 60, right: Wd - 10, top: 440, bottom: 550 };
    const y3 = linearScale(0, 1, b3.bottom, b3.top);
    body.push(band(x2(a), x2(b), b3, '#e33', 0.2));
    body.push(el('line', { x1: b3.left, x2: b3.right, y1: y3.map(thr), y2: y3.map(thr), stroke: '#e33', 'stroke-dasharray': '4 3' }));
    const sp: Array<[number, number]> = []; for (let r = z0; r <= z1; r++) sp.push([x2(r), y3.map(s[r])]);
    body.push(el('path', { d: linePath(sp), fill: 'none', stroke: '#06c', 'stroke-width': 0.8 }));
    body.push(...yAxis(y3, b3, (v) => v.toFixed(1)));
    const svg = svgDoc(Wd, H, body);
    const file = `${plotDir}/${String(k).padStart(2, '0')}-${name}-w${wi}`;
    writeFileSync(`${file}.svg`, svg);
    execFileSync('rsvg-convert', ['-b', 'white', '-o', `${file}.png`, `${file}.svg`]);
  });
}
