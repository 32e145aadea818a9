/**
 * The quality bench as a library, for experiments from a short script:
 *
 *   import { tepSet, runSet, runBaselinesOn, judgeRun, judgingFor } from './bench/quality/index.ts';
 *   const tep = tepSet();                                   // LabelledSet: runs with train/test series and fault rows
 *   const r = await runSet(tep, 'bench/results/tmp/x');      // vigil defaults + baselines, judged alike
 *   const mine = tep.runs.map((run) => ({ id: run.id, metrics: judgeRun(run, myAlerts(run), judgingFor(32)) }));
 */
export * from './labelled-run.ts';
export { tepSet, tepTrain, tepFault, TEP_QUICK_FAULTS, TEP_UNOBSERVABLE } from './tep.ts';
export { pumpsSet } from './pumps.ts';
export { plantSet } from './plant.ts';
export { nabScores } from './nab.ts';
export { runBaselinesOn, type BaselineVerdicts } from './baselines.ts';
export { runVigil, type VigilRun } from './vigil.ts';
export { judgeRun, judgingFor, type Judging } from './judge.ts';
export { alertColumn } from './alert-column.ts';
export { summarise, tepProtocol, type MethodSummary } from './summary.ts';
export { runSet, type SetResult } from './run-set.ts';
