/**
 * The model in service as runtime parts: `model` opens it (and closes it last), `adaptation` learns on the
 * gateway and swaps through the same reload, `watch` swaps in new files as they land. Every outcome of a
 * reload is counted, logged and published on the reloads stream; a swap relabels the saved threshold state.
 */
import type { RunConfig } from '../config/schema.ts';
import { loadModel } from '../model/load.ts';
import { weightsOf, type ModelCard } from '../model/card.ts';
import type { BatchRunner, ModelRef } from '../inference/model-ref.ts';
import { openModel } from '../inference/open-model.ts';
import { startAdaptation, type Adaptation } from '../adapt/adaptation.ts';
import type { RuntimeEvents } from './events.ts';
import type { Part } from './lifecycle.ts';
import type { VigilLogger } from './logger.ts';
import type { EdgeCounters, RuntimeMetrics } from './metrics.ts';
import { reloadModel, watchModel, type ReloadOutcome } from './reload.ts';
import type { RuntimeThresholds } from './thresholds.ts';
import { startingBar } from '../thresholds/starting-level.ts';
import type { Warmup } from './intake-pressure.ts';

/** The config sections the model in service reads. */
export type ServingConfig = Pick<RunConfig, 'model' | 'inference' | 'batch' | 'reload' | 'adapt' | 'threshold'>;

/** What serving needs from the parts around it. */
export interface ServingDeps {
  log: VigilLogger;
  edge: EdgeCounters;
  metrics: RuntimeMetrics;
  events: RuntimeEvents;
  /** The thresholds part's state, once it has started. */
  thresholds: () => RuntimeThresholds;
}

/** The serving parts and what they hold once started. */
export interface Serving {
  model: Part;
  adaptation: Part;
  watch: Part;
  /** The model reference (after `model` started). */
  ref(): ModelRef;
  provider(): string;
  providerFailures(): { provider: string; reason: string }[];
  adaptationNow(): Adaptation | undefined;
  /**
   * The warm-up of the model in service (at start, then of each model a hot reload swapped in): its card, time and
   * windows, the intake's guess at its pace until its first batch.
   */
  warmup(): Warmup | undefined;
}

/** The serving parts of one runtime. */
export function openServing(config: ServingConfig, deps: ServingDeps): Serving {
  const { log, edge, metrics, events } = deps;
  // How every session of this runtime is opened: at start and on each hot reload.
  const session = { providers: config.inference.providers, threads: config.inference.threads, spinning: config.inference.spinning, worker: config.inference.worker, warmup: [...new Set([1, config.batch.size])] };
  let ref: ModelRef | undefined;
  let provider = '';
  let failures: { provider: string; reason: string }[] = [];
  let warmup: Warmup | undefined;
  const warmupWindows = session.warmup.reduce((a, n) => a + n, 0);
  let adaptation: Adaptation | undefined;
  let stopWatch = () => {};
  const current = () => {
    if (!ref) throw new Error('the model is not open');
    return ref;
  };

  const reloaded = (o: ReloadOutcome) => {
    events.reloads.next(o);
    if (o.kind === 'swapped') {
      edge.reloads++;
      edge.reloadRefused = null;
      provider = o.provider;
      metrics.setProvider(o.provider, o.to.name, o.to.version, weightsOf(o.to));
      deps.thresholds().modelChanged(o.to);
      // Until its first batch the intake takes its pace from this warm-up, not from the model it replaced.
      warmup = { card: o.to, ms: o.warmupMs, windows: warmupWindows };
      // With its weights' hash: a model retrained under the same name and version read "pump@1 -> pump@1" (a probe).
      const id = (c: typeof o.to) => `${c.name}@${c.version}${c.onnx?.sha256 ? ` (onnx ${weightsOf(c)})` : ''}`;
      // With the bar it brings, as the start banner says it (a probe: a level of 727 after 17, seen first in an alert).
      const bar = startingBar(config.threshold, o.to);
      log.info({ from: id(o.from), to: id(o.to), provider: o.provider, threshold: bar.spec, thresholdLevel: bar.level }, `model hot-reloaded; per-sensor thresholds start afresh from its card: threshold ${bar.text}`);
    } else if (o.kind === 'unchanged' && edge.reloadRefused) {
      // The refused files replaced by the serving model's own (an operator putting them back): a restart would load
      // what serves, so the refusal no longer stands (a probe: /health carried it until another model went live).
      const cur = current().current.card;
      edge.reloadRefused = null;
      log.info({ serving: `${cur.name}@${cur.version}` }, `model files are the model in service again (${cur.name}@${cur.version}); the refused reload no longer stands`);
    } else if (o.kind === 'refused') {
      edge.reloadFailures++;
      edge.reloadRefused = { reason: o.reason, at: Date.now() };
      const cur = current().current.card;
      log.error({ reason: o.reason, serving: `${cur.name}@${cur.version}` }, `model reload refused; still serving ${cur.name}@${cur.version}`);
    }
  };
  // With adaptation on, every model swapped in (by it or by the watcher) first has its residual means seeded.
  const prepare = (card: ModelCard, runner: BatchRunner) => adaptation?.prepareSwap(card, runner) ?? Promise.resolve();

  const model: Part = {
    name: 'model',
    async start() {
      const loaded = loadModel(config.model);
      const opened = await openModel(loaded, session);
      ({ ref } = opened);
      provider = opened.resolved.provider;
      failures = opened.resolved.failures;
      for (const f of failures) log.warn({ provider: f.provider, reason: f.reason }, `execution provider ${f.provider} unavailable, fell back`);
      log.info({ model: `${loaded.card.name}@${loaded.card.version}`, warmupMs: Math.round(opened.warmupMs) }, opened.report);
      warmup = { card: loaded.card, ms: opened.warmupMs, windows: warmupWindows };
      metrics.setProvider(provider, loaded.card.name, loaded.card.version, weightsOf(loaded.card));
    },
    stop: () => ref?.close(),
  };
  // Learning on the gateway (config adapt): its reservoir sees every detection; it swaps through the same reload.
  const learning: Part = {
    name: 'adaptation',
    start() {
      if (!config.adapt.enabled) return;
      const reload = () => reloadModel({ model: config.model, ref: current(), ...session, prepare }).then((o) => (reloaded(o), o));
      const seedResiduals = (card: ModelCard, means: Record<string, number[]>) => deps.thresholds().residuals.seed(card, means);
      adaptation = startAdaptation({ config: config.adapt, model: config.model, card: () => current().current.card, reload, log, registry: metrics.registry, seedResiduals });
    },
    stop: () => adaptation?.stop(),
  };
  const watch: Part = {
    name: 'model watch',
    start() {
      if (config.reload.watch) stopWatch = watchModel({ model: config.model, ref: current(), ...session, prepare, debounceMs: config.reload.debounceMs, onOutcome: reloaded });
    },
    stop: () => stopWatch(),
  };
  return { model, adaptation: learning, watch, ref: current, provider: () => provider, providerFailures: () => failures, adaptationNow: () => adaptation, warmup: () => warmup };
}
