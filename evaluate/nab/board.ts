/**
 * The published NAB scoreboard (`reference/final_results.json` of a NAB-layout folder) and where a new
 * result would rank on it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** Normalised scores per detector, per profile. */
export type Board = Record<string, Record<string, number>>;

const boardSchema = z.record(z.string(), z.record(z.string(), z.number()));

/** Display names of the detectors on the published board. */
export const BOARD_NAMES: Record<string, string> = {
  ARTime: 'ARTime',
  numenta: 'Numenta HTM',
  contextOSE: 'CAD OSE',
  earthgeckoSkyline: 'earthgecko Skyline',
  knncad: 'KNN CAD',
  relativeEntropy: 'Relative Entropy',
  randomCutForest: 'Random Cut Forest',
  twitterADVec: 'Twitter ADVec',
  windowedGaussian: 'Windowed Gaussian',
  skyline: 'Etsy Skyline',
  bayesChangePt: 'Bayesian Changepoint',
  expose: 'EXPoSE',
  random: 'Random',
  null: 'Null',
  htmjava: 'HTM Java',
  numentaTM: 'Numenta TM',
};

/** Load the board from `<root>/reference/final_results.json`; undefined when the corpus has none. */
export function loadBoard(root: string): Board | undefined {
  const file = join(root, 'reference', 'final_results.json');
  if (!existsSync(file)) return undefined;
  const parsed = boardSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: expected {detector: {profile: score}}: ${parsed.error.message}`);
  return parsed.data;
}

/** Board rows for one profile with `entries` merged in, best first. */
export function rankOn(board: Board, profile: string, entries: Record<string, number>): Array<{ name: string; score: number; ours: boolean }> {
  const rows = Object.entries(board)
    .filter(([, p]) => profile in p)
    .map(([k, p]) => ({ name: BOARD_NAMES[k] ?? k, score: p[profile], ours: false }));
  for (const [name, score] of Object.entries(entries)) rows.push({ name, score, ours: true });
  return rows.sort((a, b) => b.score - a.score);
}
