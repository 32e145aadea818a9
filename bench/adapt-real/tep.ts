/**
 * Tennessee Eastman in bench/adapt-real.ts: the quality bench's model (`vigil train` on d00.dat, every option at its
 * default: bench/quality/vigil.ts runVigil, which also scores every run with `vigil score`, the reference), then the
 * test runs streamed through the runtime twice, adaptation off and on, and judged as bench:quality judges them.
 *
 * How the runs are streamed: one after another in data time (180 s apart, no gap), d00_te (960 normal samples,
 * 48 h) first, then the fault runs in their number order; each run as its own sensor. Its own sensor, because the
 * runs are separate simulations that all start from the normal steady state: as one sensor, the first window of a
 * run would hold the end of the previous run's fault, and that fault's alert would stay open into the next run's
 * normal rows; a new sensor starts with a fresh window, residual tracking and alert state, exactly as `vigil score`
 * starts each run (so adaptation off must reproduce bench:quality's vigil column). One after another in time,
 * because the runtime's pause during incidents (adapt.pauseOnAlert) holds while any sensor's guard band reaches past
 * the newest data time: a run that ends in alert stops holding once the next run's data moves time past it, as
 * it would in a plant. What adaptation learns from: d00_te (the first attempt comes once its first 500 clearly
 * normal windows are in the reservoir), then the first 160 normal samples of every run, and whatever a fault leaves
 * clearly normal (faults 3, 9, 15 are nearly invisible). TEP's normal operation does not drift, so what this
 * measures is whether adaptation costs detection where there is nothing to adapt to. What the model learns before a
 * run depends on the runs before it, so adaptation on runs twice: the faults in their number order, and from 21
 * down to 1 (d00_te first both times). Off does not depend on the order (each sensor starts afresh, one model).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '@vigil/runtime';
import type { RunConfigInput } from '@vigil/runtime/config/schema.ts';
import { judgeRun, judgingFor } from '../quality/judge.ts';
import { summarise, type MethodSummary } from '../quality/summary.ts';
import { TEP_QUICK_FAULTS, TEP_STEP_S, tepSet } from '../quality/tep.ts';
import { runVigil } from '../quality/vigil.ts';
import { countDecisions, startGateway, type Decision } from '@vigil/evaluate/detector/runtime-gateway.ts';

/** One way of running vigil on the TEP runs, judged by the TEP protocol. */
export interface TepMode {
  method: string;
  avgDetectionRate: number;
  normalRowsFAR: number;
  faults: number;
  summary: MethodSummary;
  decisions: Decision[];
  /** Per run, the model version serving when its last row was judged. */
  versions: string[];
  seconds: number;
}

/** The TEP comparison: the `vigil score` reference, adaptation off, adaptation on in two orders of the runs. */
export interface TepResult {
  model: string;
  runs: string[];
  modes: TepMode[];
}

const DAY_MS = 86_400_000;

/** Run the comparison; `adapt` is the `adapt` section used for the adaptation-on run. */
export async function tepAdapt(o: { work: string; brokerUrl: string; quick: boolean; adapt: (dir: string) => RunConfigInput['adapt']; log: (l: string) => void }): Promise<TepResult> {
  const set = tepSet(o.quick ? { faults: TEP_QUICK_FAULTS } : {});
  const dir = join(o.work, 'tep');
  o.log(`tep: training on d00.dat and scoring ${set.runs.length} runs with vigil score (bench:quality's vigil column)`);
  let t0 = performance.now();
  const { results: ref, setup } = await runVigil(set.runs, dir, o.log);
  const refSeconds = (performance.now() - t0) / 1000;
  const model = join(dir, 'd00');
  const card = loadModel(model).card;
  const judging = judgingFor(card.window);
  const judge = (method: string, description: string, alertOf: (runIndex: number) => Uint8Array) =>
    summarise(set, method, description, set.runs.map((r, i) => ({ id: r.id, metrics: judgeRun(r, alertOf(i), judging) })));
  const mode = (summary: MethodSummary, decisions: Decision[], versions: string[], seconds: number): TepMode => ({
    method: summary.method, avgDetectionRate: summary.protocol.avgDetectionRate, normalRowsFAR: summary.protocol.normalRowsFAR, faults: summary.protocol.faults, summary, decisions, versions, seconds,
  });
  const modes: TepMode[] = [mode(judge('vigil score', setup.score, (i) => ref.get(set.runs[i].id)!.alert), [], set.runs.map(() => card.version), refSeconds)];

  // Live data starts a day after the training rows end; run k follows run k-1 without a gap.
  const trainEnd = set.runs[0].train.timestamps[set.runs[0].train.timestamps.length - 1];
  const step = TEP_STEP_S * 1000;
  // Adaptation on depends on what came before each run: a second order (the faults from 21 down to 1) says how much.
  const ascending = set.runs;
  const descending = [set.runs[0], ...set.runs.slice(1).reverse()];
  const streams = [
    { name: 'off', adaptation: false, order: ascending },
    { name: 'on', adaptation: true, order: ascending },
    { name: 'on, faults in reverse order', adaptation: true, order: descending },
  ];
  for (const [k, st] of streams.entries()) {
    const at = join(o.work, `tep-${k}`);
    mkdirSync(at, { recursive: true });
    for (const ext of ['json', 'onnx']) copyFileSync(`${model}.${ext}`, join(at, `d00.${ext}`));
    o.log(`tep: streaming ${set.runs.length} runs through the runtime, adaptation ${st.name}: ${st.order.map((r) => r.id).join(', ')}`);
    const g = await startGateway(join(at, 'd00'), o.brokerUrl, st.adaptation ? o.adapt(at) : { enabled: false }, o.log);
    t0 = performance.now();
    let start = trainEnd + DAY_MS;
    const times = new Map<string, Float64Array>();
    const versions = new Map<string, string>();
    try {
      for (const r of st.order) {
        const ts = Float64Array.from(r.test.timestamps, (_, i) => start + i * step);
        times.set(r.id, ts);
        start += ts.length * step;
        await g.stream(`tep-${r.id}`, { ...r.test, timestamps: ts });
        versions.set(r.id, g.handle.card().version);
        o.log(`  ${r.id}: model v${g.handle.card().version}, decisions so far ${JSON.stringify(countDecisions(g.decisions))}`);
      }
    } finally {
      await g.handle.stop();
    }
    const seconds = (performance.now() - t0) / 1000;
    const alertOf = (i: number) => {
      const id = set.runs[i].id;
      const v = g.verdicts.get(`tep-${id}`);
      return Uint8Array.from(times.get(id)!, (t) => (v?.get(t)?.alertOpen ? 1 : 0));
    };
    const how = `vigil run (startRuntime), adaptation ${st.name}; runs streamed ${st.order.map((r) => r.id).join(', ')}; verdict = the sensor's alert state after each window`;
    modes.push(mode(judge(`runtime, adaptation ${st.name}`, how, alertOf), g.decisions, set.runs.map((r) => versions.get(r.id)!), seconds));
  }
  return { model: `${card.architecture.kind}, window ${card.window}, ${card.channels.length} channels, score ${card.scoring.error} over ${card.scoring.span} rows, static threshold ${card.threshold.static.value.toPrecision(4)}`, runs: set.runs.map((r) => r.id), modes };
}
