// Scratch: per-file FP rows and windows hit at the standard threshold, recipe A vs B.
import { scoreDetector } from '../../evaluate/nab/score.ts';
import { corpus, recipeScores } from './score.mts';
const [A, B, seedArg = '42'] = process.argv.slice(2);
const pa = scoreDetector(corpus, recipeScores(A, Number(seedArg)), A).profiles.standard;
const pb = scoreDetector(corpus, recipeScores(B, Number(seedArg)), B).profiles.standard;
console.log(`thr ${pa.threshold?.toFixed(3)} ${pb.threshold?.toFixed(3)} raw ${pa.raw.toFixed(2)} ${pb.raw.toFixed(2)}`);
pa.files.forEach((fa, i) => { const fb = pb.files[i]; if (fa.fp !== fb.fp || fa.windowsHit !== fb.windowsHit) console.log(`${fa.path.padEnd(58)} fp ${fa.fp} -> ${fb.fp}  hit ${fa.windowsHit} -> ${fb.windowsHit}/${fa.windows}  score ${fa.score.toFixed(2)} -> ${fb.score.toFixed(2)}`); });
