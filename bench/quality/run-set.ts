/**
 * Run vigil and the baselines on one labelled set and judge them on the same rows: the harness of
 * `npm run bench:quality`, callable from a script for experiments.
 */
import { join } from 'node:path';
import type { BaselineOptions } from '../../evaluate/baselines/index.ts';
import { attributionOf, pooledAttribution } from './attribution.ts';
import { runBaselinesOn } from './baselines.ts';
import { ALERT_DEFAULTS } from '../../runtime/alerts/tracker.ts';
import { alertColumn } from './alert-column.ts';
import { judgeRun, judgingFor } from './judge.ts';
import type { LabelledSet } from './labelled-run.ts';
import { summarise, type MethodSummary } from './summary.ts';
import { runVigil, type VigilRun, type VigilSetup } from './vigil.ts';

/** Method-name suffix of a baseline judged through vigil's alert policy. */
export const POLICY_SUFFIX = '+policy';

/** Everything measured on one set, with the per-row verdicts kept for plots. */
export interface SetResult {
  set: LabelledSet;
  methods: MethodSummary[];
  vigil: Map<string, VigilRun>;
  setup: VigilSetup;
  seconds: { vigil: number; baselines: number };
}

/** Run every method on `set`; vigil's files go under `workDir/<set>`. */
export async function runSet(set: LabelledSet, workDir: string, o: { baselines?: BaselineOptions; log?: (l: string) => void; seed?: number } = {}): Promise<SetResult> {
  const log = o.log ?? (() => {});
  let t0 = performance.now();
  const { results: vigil, setup } = await runVigil(set.runs, join(workDir, set.name), log, o.seed === undefined ? {} : { train: { seed: o.seed } });
  const vigilSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const baselines = runBaselinesOn(set.runs, o.baselines);
  const baselineSeconds = (performance.now() - t0) / 1000;
  // Judged from the first row with a full vigil window, with its window as tolerance, every method alike.
  const judgingOf = (id: string) => judgingFor(vigil.get(id)!.card.window);
  const methods: MethodSummary[] = [];
  const judged = summarise(set, 'vigil', setup.score, set.runs.map((r) => ({ id: r.id, metrics: judgeRun(r, vigil.get(r.id)!.alert, judgingOf(r.id)) })));
  const named = pooledAttribution(set.runs.map((r) => attributionOf(r, vigil.get(r.id)!, judgingOf(r.id).from)));
  methods.push(named.rows > 0 ? { ...judged, attribution: named } : judged);
  for (const [name, byRun] of baselines) {
    const description = byRun.values().next().value?.description ?? name;
    methods.push(summarise(set, name, description, set.runs.map((r) => ({ id: r.id, metrics: judgeRun(r, byRun.get(r.id)!.alert, judgingOf(r.id)) }))));
  }
  // The same baselines through vigil's alert policy (scores normalised to their limit, bar 1): what of vigil's lead is
  // its scores and what its alert hysteresis (a review: the false alerts per day compared policies, not detectors).
  const policy = ALERT_DEFAULTS;
  for (const [name, byRun] of baselines) {
    methods.push(summarise(set, `${name}${POLICY_SUFFIX}`, `${name} scores, alerts by vigil's alert policy ${JSON.stringify(policy)} with the bar at its limit`, set.runs.map((r) => {
      const j = judgingOf(r.id);
      return { id: r.id, metrics: judgeRun(r, alertColumn(byRun.get(r.id)!.scores, () => 1, r.test.timestamps, j.from, policy), j) };
    })));
  }
  return { set, methods, vigil, setup, seconds: { vigil: vigilSeconds, baselines: baselineSeconds } };
}
