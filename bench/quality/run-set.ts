/**
 * Run vigil and the baselines on one labelled set and judge them on the same rows: the harness of
 * `npm run bench:quality`, callable from a script for experiments.
 */
import { join } from 'node:path';
import type { BaselineOptions } from '../../evaluate/baselines/index.ts';
import { attributionOf, pooledAttribution } from './attribution.ts';
import { runBaselinesOn } from './baselines.ts';
import { judgeRun, ROW_WISE } from './judge.ts';
import type { LabelledSet } from './labelled-run.ts';
import { summarise, type MethodSummary } from './summary.ts';
import { runVigil, type VigilRun, type VigilSetup } from './vigil.ts';

/** Everything measured on one set, with the per-row verdicts kept for plots. */
export interface SetResult {
  set: LabelledSet;
  methods: MethodSummary[];
  vigil: Map<string, VigilRun>;
  setup: VigilSetup;
  seconds: { vigil: number; baselines: number };
}

/** Run every method on `set`; vigil's files go under `workDir/<set>`. */
export async function runSet(set: LabelledSet, workDir: string, o: { baselines?: BaselineOptions; log?: (l: string) => void } = {}): Promise<SetResult> {
  const log = o.log ?? (() => {});
  let t0 = performance.now();
  const { results: vigil, setup } = await runVigil(set.runs, join(workDir, set.name), log);
  const vigilSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const baselines = runBaselinesOn(set.runs, o.baselines);
  const baselineSeconds = (performance.now() - t0) / 1000;
  // Judged from the first row with a full vigil window, for every method alike.
  const fromOf = (id: string) => vigil.get(id)!.card.window - 1;
  const methods: MethodSummary[] = [];
  const judged = summarise(set, 'vigil', setup.score, set.runs.map((r) => {
    const v = vigil.get(r.id)!;
    return { id: r.id, metrics: judgeRun(r, v.alert, { span: v.card.scoring.span, window: v.card.window }, fromOf(r.id)) };
  }));
  const named = pooledAttribution(set.runs.map((r) => attributionOf(r, vigil.get(r.id)!, fromOf(r.id))));
  methods.push(named.rows > 0 ? { ...judged, attribution: named } : judged);
  for (const [name, byRun] of baselines) {
    const description = byRun.values().next().value?.description ?? name;
    methods.push(summarise(set, name, description, set.runs.map((r) => ({ id: r.id, metrics: judgeRun(r, byRun.get(r.id)!.alert, ROW_WISE, fromOf(r.id)) }))));
  }
  return { set, methods, vigil, setup, seconds: { vigil: vigilSeconds, baselines: baselineSeconds } };
}
