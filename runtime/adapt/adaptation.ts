/**
 * Adaptation on the gateway (config `adapt`): every detection feeds the model's reservoir (reservoir.ts) and its
 * drift signal (drift-signal.ts); once `minNewWindows` windows entered and `everyMs` passed since the last attempt
 * (with `trigger.kind: drift`, also once the drift signal fires), and no sensor is in alert or in its guard band
 * after one, `vigil adapt --reservoir` runs in a child process (adapt-child.ts) while inference goes on.
 * What it writes is hot-swapped (the runtime's reload); the flag rate after the swap is then watched
 * (rollback-watch.ts: windows the previous model flags too do not count) and, out of its band, `vigil adapt
 * rollback` restores the previous pair, hot-swapped back. Each
 * decision is a log line, a counter and a dashboard mark (decision.ts).
 */
import { Subject, type Observable } from 'rxjs';
import type { Registry } from 'prom-client';
import type { BatchRunner } from '../inference/model-ref.ts';
import type { ModelCard } from '../model/card.ts';
import type { ReloadOutcome } from '../ops/reload.ts';
import type { VigilLogger } from '../ops/logger.ts';
import type { Detection } from '../stream/types.ts';
import { AdaptChild } from './adapt-child.ts';
import type { AdaptConfig } from './config.ts';
import { decisionRecorder, type AdaptDecisionMark, type AdaptOutcome } from './decision.ts';
import { defaultSpacing, describeDrift, DriftSignal, type DriftReading } from './drift-signal.ts';
import { Reservoir } from './reservoir.ts';
import { ReservoirStore } from './reservoir-store.ts';
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
  /** What /health says of it: an attempt or rollback running, a swap under watch, the last decision. */
  status(): AdaptationStatus;
  /** The reservoir of the model in service. */
  reservoir(): Reservoir;
  /** The drift signal now (`adapt.trigger`; kept whatever the kind): undefined until its windows are in. */
  drift(): DriftReading | undefined;
  /** Write the reservoir now (off the event loop's back: writeReservoirAsync); resolves once written. */
  persist(): Promise<void>;
  /** Stop the timer and any child, and persist a last time. */
  stop(): Promise<void>;
}

/** Adaptation as /health reports it (runtime/ops/health.ts). */
export interface AdaptationStatus {
  running: boolean;
  /** A swapped-in model is being watched for a rollback (rollback-watch.ts). */
  watching: boolean;
  last?: AdaptDecisionMark;
}

/** Start adaptation; throws when it is enabled but `vigil adapt` cannot be run here. */
export function startAdaptation(deps: AdaptationDeps): Adaptation {
  return new GatewayAdaptation(deps);
}

/** The adaptation loop of one runtime: schedule, child runs, swaps, the watch after a swap, rollbacks. */
class GatewayAdaptation implements Adaptation {
  private readonly cfg: AdaptConfig;
  private readonly log: VigilLogger;
  private readonly child: AdaptChild;
  private readonly subject = new Subject<AdaptDecisionMark>();
  readonly decisions = this.subject.asObservable();
  private readonly store: ReservoirStore;
  private readonly record: (d: AdaptDecisionMark) => void;
  private readonly rate: FlagRate;
  private watch: RollbackWatch | undefined;
  private running: Promise<AdaptDecisionMark> | undefined;
  /** The first start's clock for `everyMs` when the reservoir records no attempt (a restart goes on from its file's). */
  private readonly startedAt = Date.now();
  private paused = false;
  private last: AdaptDecisionMark | undefined;
  private stopped = false;
  /** Back to an anchor: the swap seeds no residual levels (the windows since are the change it did not accept). */
  private seedNothing = false;
  /** The card the drift signal measures (a new model gets a new signal, against its own first scores in service). */
  private signalOf: ModelCard;
  private signal: DriftSignal;

  constructor(private readonly deps: AdaptationDeps) {
    this.cfg = deps.config;
    this.log = deps.log;
    this.child = new AdaptChild(this.cfg, this.log);
    this.store = new ReservoirStore(this.cfg.reservoir, this.log, deps.card(), this.cfg.seedWindows);
    this.record = decisionRecorder(this.log, deps.registry, () => this.store.reservoir);
    this.rate = new FlagRate(this.cfg.rollback.windows);
    this.signalOf = deps.card();
    this.signal = this.newSignal(this.signalOf);
  }

  observe(d: Detection): void {
    const card = this.deps.card();
    this.store.follow(card);
    if (card !== this.signalOf) {
      if (card.name !== this.signalOf.name || card.version !== this.signalOf.version) this.signal = this.newSignal(card);
      this.signalOf = card;
    }
    this.store.reservoir.observe(d, d.verdict.scaler ?? card.scaler);
    this.signal.observe(d);
    this.rate.push(d.verdict.anomaly);
    if (this.watch && !this.running) this.watch.push(d, d.verdict.scaler ?? card.scaler, card.threshold.static.value);
    this.maybeStart();
  }

  async prepareSwap(card: ModelCard, session: BatchRunner): Promise<void> {
    const { deps, cfg, log } = this;
    if (!deps.seedResiduals || card.name !== this.store.reservoir.model.name) return;
    try {
      const means = await seedResidualMeans(card, session, this.seedNothing ? [] : this.store.reservoir.levelWindows(), cfg.seedWindows);
      deps.seedResiduals(card, means);
      const n = Object.keys(means).length;
      if (n) log.info({ model: `${card.name}@${card.version}`, sensors: n }, `adaptation: residual means of ${n} sensor(s) seeded from their newest ${cfg.seedWindows} clearly normal windows`);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'adaptation: residual means not seeded; tracking starts from the card');
    }
  }

  adaptNow(reason = 'manual: adaptNow'): Promise<AdaptDecisionMark> {
    return this.run(reason);
  }

  async settled(): Promise<void> {
    while (this.running || this.watch?.busy) {
      await this.watch?.idle();
      await this.running?.catch(() => {});
    }
  }

  reservoir(): Reservoir {
    return this.store.reservoir;
  }

  drift(): DriftReading | undefined {
    return this.signal.reading();
  }

  persist(): Promise<void> {
    return this.store.persist();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.store.stopTimer();
    this.child.kill();
    await this.watch?.close();
    await this.running?.catch(() => {});
    await this.store.persist();
    this.subject.complete();
  }

  private newSignal(card: ModelCard): DriftSignal {
    const { trigger, reservoir } = this.cfg;
    // A reference measured before a restart, of this version's scores, stays the reference; one measured now is
    // written with the reservoir.
    const saved = this.store.reservoir.driftReference();
    return new DriftSignal({ ...trigger, spacing: trigger.spacing ?? defaultSpacing(card) }, reservoir.guardMs, `version ${card.version}`, {
      restored: saved?.version === card.version ? saved : undefined,
      onReference: ({ mean, std, count }) => this.store.reservoir.keepDriftReference({ version: card.version, mean, std, count }),
    });
  }

  status(): AdaptationStatus {
    return { running: this.running !== undefined, watching: this.watch !== undefined, ...(this.last ? { last: this.last } : {}) };
  }

  private decide(outcome: AdaptOutcome, detail: string, from?: string, to?: string): AdaptDecisionMark {
    const d: AdaptDecisionMark = { at: Date.now(), outcome, model: this.deps.card().name, from, to, detail };
    this.last = d;
    this.record(d);
    this.subject.next(d);
    return d;
  }

  /** Swap in what is on disk now; the versions, or why not. */
  private async swapIn(before: ModelCard): Promise<{ ok: true; to: string } | { ok: false; reason: string }> {
    const o = await this.deps.reload();
    if (o.kind === 'swapped') return { ok: true, to: o.to.version };
    // The model watcher may have swapped it first.
    if (o.kind === 'unchanged' && this.deps.card() !== before) return { ok: true, to: this.deps.card().version };
    return { ok: false, reason: o.kind === 'refused' ? o.reason : 'the files did not change' };
  }

  private async rollback(detail: string, to?: string): Promise<AdaptDecisionMark> {
    const before = this.deps.card();
    // Back to an anchor: the reservoir holds the change it did not accept, so it must not seed its residual means,
    // nor must windows that arrive while the rollback runs (the file watcher may swap it in first).
    if (to !== undefined) {
      this.store.reservoir.clearWindows();
      this.seedNothing = true;
    }
    let s: Awaited<ReturnType<GatewayAdaptation['swapIn']>>;
    try {
      const r = await this.child.run(this.child.rollbackArgs(this.deps.model, to), false);
      if (r.code !== 0) return this.decide('failed', `rollback (${detail}) failed: ${this.child.why(r)}`, before.version);
      s = await this.swapIn(before);
    } finally {
      this.seedNothing = false;
    }
    // What was learnt led to the regression: the next attempt learns from what comes after.
    this.store.reservoir.clearWindows();
    if (!s.ok) return this.decide('failed', `rolled the files back (${detail}) but the hot reload refused them: ${s.reason}`, before.version);
    return this.decide('rolled_back', detail, before.version, s.to);
  }

  private async attempt(reason: string): Promise<AdaptDecisionMark> {
    const { deps, cfg } = this;
    const before = deps.card();
    this.store.reservoir.markAttempt();
    this.signal.reset();
    await this.store.persist();
    const r = await this.child.run(this.child.adaptArgs(deps.model, this.store.file, reason));
    if (this.stopped) return this.decide('failed', 'the runtime stopped while adapting', before.version);
    const refusal = this.child.refusal(r);
    const refused = refusal === undefined ? undefined : this.decide('refused', refusal, before.version);
    // The recent data moved too far from the anchor, an earlier version: undo the chain that followed it.
    const anchor = this.child.anchor(r);
    if (anchor !== undefined) return this.rollback(`the recent data moved too far from version ${anchor}, too fast for normal drift: back to it`, anchor);
    if (refused) return refused;
    if (r.code !== 0) return this.decide('failed', this.child.why(r), before.version);
    const s = await this.swapIn(before);
    if (!s.ok) return this.rollback(`the adapted model was written but the hot reload refused it: ${s.reason}`);
    const pre = this.rate.share();
    const watch = new RollbackWatch(pre.share, cfg.rollback, this.previousOf(deps.card()), (w) => this.watched(w));
    this.watch = watch;
    return this.decide('adapted', `${this.child.adapted(r)}; watching the next ${cfg.rollback.windows} windows (flagged before: ${(100 * pre.share).toFixed(2)} % of ${pre.windows}; roll back above ${(100 * watch.limit).toFixed(2)} %)`, before.version, s.to);
  }

  /** The previous version, to ask about windows flagged after a swap; or why it cannot be asked. */
  private previousOf(card: ModelCard): OpenPrevious | string {
    const parent = card.lineage?.parent.version;
    const path = parent === undefined ? undefined : keptModelPath(this.deps.model, parent);
    if (!path) return `no kept previous version to ask${parent === undefined ? '' : ` (version ${parent} is not in the model's .versions folder)`}`;
    return () => openPrevious(path, this.store.reservoir.levelWindows(), this.cfg.seedWindows);
  }

  /** The watch after a swap has decided. */
  private watched(w: WatchDecision): void {
    this.watch = undefined;
    if (this.stopped) return;
    const figures = `${(100 * w.after).toFixed(2)} % of ${w.windows} windows flagged after the swap, ${(100 * w.before).toFixed(2)} % before (band: up to ${(100 * w.limit).toFixed(2)} %); ${w.opinion}`;
    if (w.kind === 'kept') this.decide('kept', figures, this.deps.card().version);
    else this.running ??= this.rollback(`flag rate out of its band: ${figures}`).finally(() => (this.running = undefined));
  }

  private run(reason: string): Promise<AdaptDecisionMark> {
    this.running ??= this.attempt(reason)
      .catch((err: Error) => this.decide('failed', err.message, this.deps.card().version))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** The last attempt for `everyMs` (else this start); one in the future (a clock that ran ahead) counts as now. */
  private lastAttemptAt(reservoir: Reservoir): number {
    return Math.min(reservoir.lastAttemptAt ?? this.startedAt, Date.now());
  }

  private maybeStart(): void {
    const { cfg } = this;
    const reservoir = this.store.reservoir;
    if (this.running || this.watch || this.stopped || reservoir.freshCount < cfg.minNewWindows || Date.now() - this.lastAttemptAt(reservoir) < cfg.everyMs) return;
    const drift = cfg.trigger.kind === 'drift' ? this.signal.reading() : undefined;
    if (cfg.trigger.kind === 'drift' && !drift?.fired) return;
    const busy = cfg.pauseOnAlert ? reservoir.incident() : undefined;
    if (busy) {
      if (!this.paused) this.decide('paused', `sensor '${busy}' is in alert or in its guard band (adapt.reservoir.guardMs); adapting once every sensor is quiet`, this.deps.card().version);
      this.paused = true;
      return;
    }
    this.paused = false;
    void this.run(drift ? `auto: drift: ${describeDrift(drift)}` : `auto: ${reservoir.freshCount} new clearly normal windows`);
  }
}
