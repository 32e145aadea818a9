/**
 * Adaptation on the gateway (config `adapt`): every detection feeds the model's reservoir (reservoir.ts) and its
 * drift signal (drift-signal.ts); once `minNewWindows` windows entered and `everyMs` passed since the last attempt
 * (with `trigger.kind: drift`, also once the drift signal fires), and no sensor is in alert or in its guard band
 * after one, `vigil adapt --reservoir` runs in a child process (run-vigil.ts) while inference goes on.
 * What it writes is hot-swapped (the runtime's reload); the flag rate after the swap is then watched
 * (rollback-watch.ts: windows the previous model flags too do not count) and, out of its band, `vigil adapt
 * rollback` restores the previous pair, hot-swapped back. Each
 * decision is a log line, a counter and a dashboard mark (decision.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { Subject, type Observable } from 'rxjs';
import type { Registry } from 'prom-client';
import type { BatchRunner } from '../inference/model-ref.ts';
import { parseCard, type ModelCard } from '../model/card.ts';
import type { ReloadOutcome } from '../ops/reload.ts';
import type { VigilLogger } from '../ops/logger.ts';
import type { Detection } from '../stream/types.ts';
import type { AdaptConfig } from './config.ts';
import { decisionRecorder, type AdaptDecisionMark, type AdaptOutcome } from './decision.ts';
import { calibrationReference, defaultSpacing, describeDrift, DriftSignal, type DriftReading } from './drift-signal.ts';
import { Reservoir } from './reservoir.ts';
import { readReservoir, reservoirPath, writeReservoirAsync } from './reservoir-file.ts';
import { runVigil, vigilCommand, type ChildRun } from './run-vigil.ts';
import { keptModelPath } from './kept-versions.ts';
import { RollbackWatch, type OpenPrevious, type WatchDecision } from './rollback-watch.ts';
import { openPrevious } from './second-opinion.ts';
import { seedResidualMeans } from './seed-residuals.ts';
import { FlagRate } from './swap-watch.ts';

/** What adaptation needs from the runtime. */
export interface AdaptationDeps {
  config: AdaptConfig;
  /** The model path as configured (`models/NAME`): what `vigil adapt` replaces. */
  model: string;
  /** The card in service now. */
  card: () => ModelCard;
  /** Validate and swap in the model files now (the runtime's hot reload). */
  reload: () => Promise<ReloadOutcome>;
  log: VigilLogger;
  registry: Registry;
  /** Set the per-sensor residual means the model about to be swapped in starts from (TrackedResiduals.seed). */
  seedResiduals?: (card: ModelCard, means: Record<string, number[]>) => void;
}

/** Adaptation of a running runtime. */
export interface Adaptation {
  /** Feed every detection (cheap: thinned copies into the reservoir, a bit into the flag rates). */
  observe(d: Detection): void;
  /** Every decision, for the dashboard. */
  decisions: Observable<AdaptDecisionMark>;
  /**
   * Before any model goes live (the reload's `prepare`): seed its per-sensor residual means from the reservoir's
   * newest windows (seed-residuals.ts). Never throws: without a seed, tracking starts as it would.
   */
  prepareSwap(card: ModelCard, session: BatchRunner): Promise<void>;
  /** Run one adaptation now, whatever the schedule (by hand; tests); resolves to its decision. */
  adaptNow(reason?: string): Promise<AdaptDecisionMark>;
  /** Resolves once no adaptation or rollback is running. */
  settled(): Promise<void>;
  /** The reservoir of the model in service. */
  reservoir(): Reservoir;
  /** The drift signal now (`adapt.trigger`; kept whatever the kind): undefined until its windows are in. */
  drift(): DriftReading | undefined;
  /** Write the reservoir now (off the event loop's back: writeReservoirAsync); resolves once written. */
  persist(): Promise<void>;
  /** Stop the timer and any child, and persist a last time. */
  stop(): Promise<void>;
}

/** `vigil adapt` flags for the configured bounds (their defaults are adapt's own). */
const FLAGS = { replay: '--replay', maxChange: '--max-change', maxRise: '--max-rise', minGain: '--min-gain', canaryShare: '--canary-share', epochs: '--epochs', learningRate: '--lr', backend: '--backend', threshold: '--threshold' } as const;

/** Start adaptation; throws when it is enabled but `vigil adapt` cannot be run here. */
export function startAdaptation(deps: AdaptationDeps): Adaptation {
  const { config: cfg, log } = deps;
  const command = vigilCommand(cfg.command);
  const decisions = new Subject<AdaptDecisionMark>();
  let file = '';
  let reservoir = open(deps.card());
  const record = decisionRecorder(log, deps.registry, () => reservoir);
  const rate = new FlagRate(cfg.rollback.windows);
  let watch: RollbackWatch | undefined;
  let child: ChildRun | undefined;
  let running: Promise<AdaptDecisionMark> | undefined;
  let lastAttempt = Date.now();
  let paused = false;
  let stopped = false;
  let saved = reservoir.version;
  /** A kept version's card (the drift signal's reference is the calibration of the bar in force). */
  const keptCard = (version: string): ModelCard | undefined => {
    const at = keptModelPath(deps.model, version);
    try {
      return at ? parseCard(JSON.parse(readFileSync(`${at}.json`, 'utf8')), `${at}.json`) : undefined;
    } catch {
      return undefined;
    }
  };
  const newSignal = (card: ModelCard) =>
    new DriftSignal(calibrationReference(card, keptCard), { ...cfg.trigger, spacing: cfg.trigger.spacing ?? defaultSpacing(card) }, cfg.reservoir.guardMs);
  let signalOf = deps.card();
  let signal = newSignal(signalOf);

  function open(card: ModelCard): Reservoir {
    file = reservoirPath(cfg.reservoir.file, card.name);
    const model = { name: card.name, window: card.window, channels: card.channels };
    if (existsSync(file)) {
      try {
        const r = new Reservoir(model, cfg.reservoir, readReservoir(file));
        log.info({ file, windows: r.size }, `adaptation reservoir restored: ${r.size} windows`);
        return r;
      } catch (err) {
        log.warn({ file, err: (err as Error).message }, 'adaptation reservoir not restored; starting an empty one (the file is replaced on the next write)');
      }
    }
    return new Reservoir(model, cfg.reservoir);
  }

  const decide = (outcome: AdaptOutcome, detail: string, from?: string, to?: string): AdaptDecisionMark => {
    const d: AdaptDecisionMark = { at: Date.now(), outcome, model: deps.card().name, from, to, detail };
    record(d);
    decisions.next(d);
    return d;
  };

  // One write at a time, in order; each writes the reservoir as it was when asked (a model change switches it).
  let writes: Promise<void> = Promise.resolve();
  let writing = 0;
  const persist = (): Promise<void> => {
    const at = { file, version: reservoir.version, snapshot: reservoir.snapshot() };
    writing++;
    writes = writes.then(() => writeReservoirAsync(at.file, at.snapshot).then(
      () => void (at.file === file && (saved = at.version)),
      (err: Error) => log.warn({ file: at.file, err: err.message }, 'adaptation reservoir not written; will retry'),
    )).finally(() => void writing--);
    return writes;
  };
  const timer = setInterval(() => !writing && reservoir.version !== saved && void persist(), Math.max(1000, cfg.reservoir.intervalMs));
  timer.unref();

  /** Run a `vigil` child and reload what it wrote; the decision. */
  const child$ = async (args: string[]) => {
    child = runVigil(command, args, cfg.timeoutMs, cfg.niceness);
    try {
      return await child.result;
    } finally {
      child = undefined;
    }
  };
  const why = (r: { line?: string; stderrTail: string; code: number | null; timedOut: boolean }) =>
    r.timedOut ? `stopped after adapt.timeoutMs ${cfg.timeoutMs} ms` : r.line ?? (r.stderrTail || `exit ${r.code}`);

  /** Swap in what is on disk now; the versions, or why not. */
  const swapIn = async (before: ModelCard): Promise<{ ok: true; to: string } | { ok: false; reason: string }> => {
    const o = await deps.reload();
    if (o.kind === 'swapped') return { ok: true, to: o.to.version };
    // The model watcher may have swapped it first.
    if (o.kind === 'unchanged' && deps.card() !== before) return { ok: true, to: deps.card().version };
    return { ok: false, reason: o.kind === 'refused' ? o.reason : 'the files did not change' };
  };

  const rollback = async (detail: string) => {
    const before = deps.card();
    const r = await child$(['adapt', 'rollback', '--model', deps.model]);
    if (r.code !== 0) return decide('failed', `rollback (${detail}) failed: ${why(r)}`, before.version);
    const s = await swapIn(before);
    // What was learnt led to the regression: the next attempt learns from what comes after.
    reservoir.clearWindows();
    if (!s.ok) return decide('failed', `rolled the files back (${detail}) but the hot reload refused them: ${s.reason}`, before.version);
    return decide('rolled_back', detail, before.version, s.to);
  };

  const attempt = async (reason: string): Promise<AdaptDecisionMark> => {
    const before = deps.card();
    lastAttempt = Date.now();
    reservoir.markAttempt();
    signal.reset();
    await persist();
    const args = ['adapt', '--model', deps.model, '--reservoir', file, '--reason', reason, '--quiet'];
    for (const [key, flag] of Object.entries(FLAGS)) {
      const v = cfg[key as keyof typeof FLAGS];
      if (v !== undefined) args.push(flag, String(v));
    }
    const r = await child$(args);
    if (stopped) return decide('failed', 'the runtime stopped while adapting', before.version);
    if (r.code === 3) return decide('refused', (r.line ?? '').replace(/^adapt: refused [^:]*: /, '').replace(/; nothing written.*$/, '') || why(r), before.version);
    if (r.code !== 0) return decide('failed', why(r), before.version);
    const s = await swapIn(before);
    if (!s.ok) return rollback(`the adapted model was written but the hot reload refused it: ${s.reason}`);
    const pre = rate.share();
    watch = new RollbackWatch(pre.share, cfg.rollback, previousOf(deps.card()), watched);
    return decide('adapted', `${r.line?.replace(/^adapt: adapted [^:]*: /, '') ?? ''}; watching the next ${cfg.rollback.windows} windows (flagged before: ${(100 * pre.share).toFixed(2)} % of ${pre.windows}; roll back above ${(100 * watch.limit).toFixed(2)} %)`, before.version, s.to);
  };

  /** The previous version, to ask about windows flagged after a swap; or why it cannot be asked. */
  const previousOf = (card: ModelCard): OpenPrevious | string => {
    const parent = card.lineage?.parent.version;
    const path = parent === undefined ? undefined : keptModelPath(deps.model, parent);
    if (!path) return `no kept previous version to ask${parent === undefined ? '' : ` (version ${parent} is not in the model's .versions folder)`}`;
    return () => openPrevious(path, reservoir.snapshot().windows, cfg.seedWindows);
  };

  /** The watch after a swap has decided. */
  const watched = (w: WatchDecision) => {
    watch = undefined;
    if (stopped) return;
    const figures = `${(100 * w.after).toFixed(2)} % of ${w.windows} windows flagged after the swap, ${(100 * w.before).toFixed(2)} % before (band: up to ${(100 * w.limit).toFixed(2)} %); ${w.opinion}`;
    if (w.kind === 'kept') decide('kept', figures, deps.card().version);
    else running ??= rollback(`flag rate out of its band: ${figures}`).finally(() => (running = undefined));
  };

  const run = (reason: string) => {
    running ??= attempt(reason)
      .catch((err: Error) => decide('failed', err.message, deps.card().version))
      .finally(() => (running = undefined));
    return running;
  };

  const maybeStart = () => {
    if (running || watch || stopped || reservoir.freshCount < cfg.minNewWindows || Date.now() - lastAttempt < cfg.everyMs) return;
    const drift = cfg.trigger.kind === 'drift' ? signal.reading() : undefined;
    if (cfg.trigger.kind === 'drift' && !drift?.fired) return;
    const busy = cfg.pauseOnAlert ? reservoir.incident() : undefined;
    if (busy) {
      if (!paused) decide('paused', `sensor '${busy}' is in alert or in its guard band (adapt.reservoir.guardMs); adapting once every sensor is quiet`, deps.card().version);
      paused = true;
      return;
    }
    paused = false;
    void run(drift ? `auto: drift: ${describeDrift(drift)}` : `auto: ${reservoir.freshCount} new clearly normal windows`);
  };

  return {
    decisions: decisions.asObservable(),
    observe(d) {
      const card = deps.card();
      if (card.name !== reservoir.model.name || card.window !== reservoir.model.window || card.channels.join(',') !== reservoir.model.channels.join(',')) {
        void persist();
        reservoir = open(card);
      }
      // A new model is measured on its own scores, against the calibration of its bar.
      if (card !== signalOf) {
        if (card.name !== signalOf.name || card.version !== signalOf.version) signal = newSignal(card);
        signalOf = card;
      }
      reservoir.observe(d, d.verdict.scaler ?? card.scaler);
      signal.observe(d);
      rate.push(d.verdict.anomaly);
      if (watch && !running) watch.push(d, d.verdict.scaler ?? card.scaler, card.threshold.static.value);
      maybeStart();
    },
    async prepareSwap(card, session) {
      if (!deps.seedResiduals || card.name !== reservoir.model.name) return;
      try {
        const means = await seedResidualMeans(card, session, reservoir.snapshot().windows, cfg.seedWindows);
        deps.seedResiduals(card, means);
        const n = Object.keys(means).length;
        if (n) log.info({ model: `${card.name}@${card.version}`, sensors: n }, `adaptation: residual means of ${n} sensor(s) seeded from their newest ${cfg.seedWindows} reservoir windows`);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'adaptation: residual means not seeded; tracking starts from the card');
      }
    },
    adaptNow: (reason = 'manual: adaptNow') => run(reason),
    settled: async () => {
      while (running || watch?.busy) {
        await watch?.idle();
        await running?.catch(() => {});
      }
    },
    reservoir: () => reservoir,
    drift: () => signal.reading(),
    persist,
    async stop() {
      stopped = true;
      clearInterval(timer);
      child?.kill();
      await watch?.close();
      await running?.catch(() => {});
      await persist();
      decisions.complete();
    },
  };
}
