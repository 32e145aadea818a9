// Scratch: per window missed by recipe A at its standard threshold, max in-window score of A and B; B's threshold too.
import { scoreDetector } from '../../evaluate/nab/score.ts';
import { probationaryLength } from '../../evaluate/nab/sweep.ts';
import { corpus, recipeScores } from './score.mts';
const [A, B, seedArg = '42'] = process.argv.slice(2);
const seed = Number(seedArg);
const sa = recipeScores(A, seed), sb = recipeScores(B, seed);
const ta = scoreDetector(corpus, sa, A).profiles.standard.threshold!, tb = scoreDetector(corpus, sb, B).profiles.standard.threshold!;
console.log(`thr ${A} ${ta.toFixed(3)} ${B} ${tb.toFixed(3)}`);
let caught = 0, lost = 0;
for (const f of corpus.files) {
  const P = probationaryLength(f.values.length);
  f.windows.forEach(([a, b], wi) => {
    if (b < P) return;
    let ma = 0, mb = 0; for (let i = a; i <= b; i++) { ma = Math.max(ma, sa.get(f.path)![i]); mb = Math.max(mb, sb.get(f.path)![i]); }
    const ha = ma >= ta, hb = mb >= tb;
    if (ha && hb) return;
    if (!ha && hb) caught++; if (ha && !hb) lost++;
    console.log(`${f.path.padEnd(58)} w${wi} ${A} ${ma.toFixed(3)}${ha ? '*' : ' '} ${B} ${mb.toFixed(3)}${hb ? '*' : ' '}`);
  });
}
console.log(`${B} hits ${caught} windows ${A} misses, loses ${lost}`);
