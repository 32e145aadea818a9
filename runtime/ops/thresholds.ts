/**
 * Per-sensor thresholds for the live process: the configured kind (or the card's default), restored from the
 * state file a previous run saved (with each sensor's score smoother, residual mean and alert tracker), persisted
 * periodically and on stop with the thresholds module's atomic store. A saved state made under another threshold
 * config or model starts that sensor fresh, with a warning. Thresholds follow the model in service: after a hot
 * reload each sensor's threshold starts afresh from the new card, because another model's scores live on another
 * scale (an adaptive threshold that refuses to learn from flagged scores would otherwise stay stuck above or below
 * them).
 */
import type { RunConfig } from '../config/schema.ts';
import type { ModelRef } from '../inference/model-ref.ts';
import { ThresholdBank, type ScoreSmoother } from '../stream/threshold-bank.ts';
import { createThreshold, parseThresholdConfig, restoreThreshold, savedConfigProblem } from '../thresholds/factory.ts';
import { type LoadedState, type SensorState, type StateModelId, type StateSource } from '../thresholds/store.ts';
import { openStore, restoredStates } from './state-file.ts';
import { alertStatesOf, type AlertStates } from '../thresholds/alert-journal.ts';
import { modelIdOf } from '../thresholds/state-model.ts';
import { createLearningLog, learningOf } from '../thresholds/learning-log.ts';
import { createDriftLog, excusedChannels, shiftedChannels, type ExcusedChannel, type ShiftedChannel } from '../scoring/drift-log.ts';
import type { Threshold, ThresholdState } from '../thresholds/threshold.ts';
import type { ThresholdLearning } from '../thresholds/gate.ts';
import type { ModelCard } from '../model/card.ts';
import { TrackedResiduals } from '../scoring/residual-baselines.ts';
import type { ResidualModel } from '../scoring/mahalanobis.ts';
import { smootherStates } from './smoother-states.ts';
import { stateSaves } from './state-saves.ts';
import { AlertBank, type AlertBankOptions } from '../alerts/alert-bank.ts';
import { checkPolicy } from '../alerts/tracker.ts';
import { admissionPools } from '../stream/admission.ts';
import { SilentSensors } from '../alerts/silent-sensors.ts';
import type { VigilLogger } from './logger.ts';
import type { EdgeCounters } from './metrics.ts';
import { collectBy } from '../util/held-states.ts';
import { restoreFailureLog } from './restore-failures.ts';
import { operatorCommands, type OperatorCommands } from './sensor-commands.ts';


/** The config sections the thresholds read. */
export type ThresholdsConfig = Pick<RunConfig, 'threshold' | 'smoothing' | 'window' | 'alerts' | 'state' | 'fleet'>;

/** Thresholds wired for the runtime. */
export interface RuntimeThresholds {
  bank: ThresholdBank;
  /** Per-sensor smoother factory for the pipeline (saved and restored with the thresholds), or undefined for none. */
  smoothing?: (sensor: string) => ScoreSmoother;
  /** Start periodic persistence. */
  start(): void;
  /** Persist now. */
  persist(): Promise<void>;
  /** Stop the timer and persist a last time. */
  stop(): Promise<void>;
  /** Per-sensor residual means of the model in service, saved and restored with the thresholds. */
  residuals: TrackedResiduals;
  /** Per-sensor alert trackers, saved and restored with the thresholds (open alerts survive a restart). */
  alerts: AlertBank;
  /** The silent-sensor watch (`alerts.silent`; undefined when off, or in a fleet), saved and restored with them. */
  silence?: SilentSensors;
  /** Save soon, `sensor`'s alert states only when given (state-saves.ts `persistSoon`). */
  persistSoon(sensor?: string): void;
  /** Label saved state with the model now in service (after a hot reload). */
  modelChanged(card: ModelCard): void;
  /** Every sensor's state as the state file holds it: threshold, residual mean, alert tracker. */
  states(): Record<string, SensorState>;
  /** Take the states of sensors not held yet (a fleet partition handed over); returns how many thresholds were taken. */
  adopt(states: Record<string, SensorState>): number;
  /** Drop the states of the sensors `which` selects (a partition handed to another worker). */
  forget(which: (sensor: string) => boolean): void;
  /** What a sensor's adaptive threshold has learnt and kept out (undefined: static bar or unseen sensor). */
  learning(sensor: string): ThresholdLearning | undefined;
  /** The sensor's channels level drift excuses now (runtime/scoring/drift-log.ts); empty when none or no drift. */
  levelDrift(sensor: string): ExcusedChannel[];
  /** The sensor's channels fed to the model shifted (inputs that follow the residual); empty when none. */
  inputShifts(sensor: string): ShiftedChannel[];
  /** An operator's "this sensor is normal" (re-anchors.ts) or "under maintenance" (sensor-commands.ts), and the re-anchorings in progress. */
  reAnchors: OperatorCommands;
}

/** A sensor's threshold that starts afresh (from `make`) when the card in service changes. */
class FollowModel implements Threshold {
  constructor(
    private inner: Threshold,
    private card: ModelCard,
    private readonly make: () => Threshold,
    private readonly cardNow: () => ModelCard,
  ) {}
  private follow(): Threshold {
    const c = this.cardNow();
    if (c !== this.card) {
      this.card = c;
      this.inner = this.make();
    }
    return this.inner;
  }
  get kind(): string {
    return this.inner.kind;
  }
  current(): number {
    return this.follow().current();
  }
  isAnomaly(score: number): boolean {
    return this.follow().isAnomaly(score);
  }
  update(score: number, flagged: boolean): void {
    this.follow().update(score, flagged);
  }
  toJSON(): ThresholdState {
    return this.follow().toJSON();
  }
  summary() {
    return learningOf(this.follow());
  }
}

/** One field of every sensor's saved state, for the sensors that have it. */
function pick<S extends LoadedState, T>(states: Iterable<[string, S]>, f: (st: S) => T | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [sensor, st] of states) {
    const v = f(st);
    if (v !== undefined) out[sensor] = v;
  }
  return out;
}

/** New and restored thresholds of the configured kind, following the card in service. Throws naming a bad key. */
function thresholdKinds(configured: unknown, cardNow: () => ModelCard): { factory: () => Threshold; restore: (s: ThresholdState) => Threshold; mismatch: (s: ThresholdState) => string | undefined } {
  const thrConfig = parseThresholdConfig(configured, 'threshold');
  const want = JSON.stringify(thrConfig);
  // New sensors take the calibration of the card in service (it changes on hot reload).
  const fresh = () => createThreshold(thrConfig, cardNow());
  const factory = (): Threshold => new FollowModel(fresh(), cardNow(), fresh, cardNow);
  // A static threshold taken from the card has nothing learnt to restore: it is rebuilt from the card in service.
  const fromCard = thrConfig.kind === 'static' && thrConfig.value === undefined;
  /** Why a saved threshold cannot be restored under the configured kind (its config differs), or undefined. */
  const mismatch = (s: ThresholdState): string | undefined => (fromCard ? undefined : savedConfigProblem(s, want));
  const restore = (s: ThresholdState): Threshold => {
    if (fromCard) return factory();
    const why = mismatch(s);
    if (why) throw new Error(why);
    return new FollowModel(restoreThreshold(s, cardNow()), cardNow(), fresh, cardNow);
  };
  return { factory, restore, mismatch };
}

/** How `openThresholds` builds its alert bank, beyond the policy (`config.alerts`). */
export interface ThresholdsOptions {
  /**
   * Options of the alert bank over those taken from the state file: `onEvict` is told of each open alert closed because
   * its sensor's alert state was evicted for room (alert-bank.ts); a fleet partition gives its own saved alerts and bound.
   */
  alerts?: AlertBankOptions;
}

/** Build the bank, restore saved state, and prepare persistence. Throws naming the bad threshold key. */
export function openThresholds(config: ThresholdsConfig, ref: ModelRef, log: VigilLogger, edge: EdgeCounters, opts: ThresholdsOptions = {}): RuntimeThresholds {
  const card0 = ref.current.card;
  const cardNow = () => ref.current.card;
  const { factory, restore, mismatch } = thresholdKinds(config.threshold ?? card0.threshold.default, cardNow);
  // Every sensor the window stage may hold, over all admission pools.
  const maxSensors = admissionPools(config.window.admission, config.window.maxSensors).capacity;
  const model = modelIdOf(card0);
  // One sensor's saved state: its threshold's, and beside it what the other banks hold for it. `card` is the model in
  // service when the save began: residual states of a model swapped in meanwhile are left out, never saved under the
  // label of the one before (ThresholdStore.saveNow).
  const stateOf = (sensor: string, card: ModelCard): SensorState | undefined => {
    // A sensor the threshold bank dropped while its alert is open, under maintenance or silent (the banks' recency
    // orders differ: an operator's command or a silence touches the alert bank only) is saved with a fresh threshold,
    // what it would start with anyway: left out, its open alert was lost from the file without a close (a review).
    const threshold = bank.stateOf(sensor) ?? (kept(sensor) ? factory().toJSON() : undefined);
    if (threshold === undefined) return undefined;
    const st: SensorState = { threshold };
    const r = residuals.stateOf(sensor, card);
    if (r.mean !== undefined) st.residualMean = r.mean;
    if (r.clock !== undefined) st.residualClock = r.clock;
    const a = alerts.stateOf(sensor);
    if (a !== undefined) st.alert = a;
    const sm = smoothers.stateOf(sensor, bank.entry(sensor));
    if (sm !== undefined) st.smoothing = sm;
    const si = silence?.stateOf(sensor);
    if (si !== undefined) st.silence = si;
    return st;
  };
  // What must outlive the threshold bank's bound in the file: an alert open (never dropped without a close), a
  // maintenance under way, a silence signalled (its `resumed` is still owed). At most `maxSensors` more sensors.
  const kept = (sensor: string): boolean => alerts.stateOf(sensor)?.open != null || alerts.maintenanceOf(sensor) !== undefined || silence?.stateOf(sensor)?.silent === true;
  const savedSensors = (): string[] => {
    const sensors = bank.keys();
    const listed = new Set(sensors);
    const more = [...alerts.openSensors(), ...alerts.inMaintenance(Date.now()), ...(silence?.silentSensors().map((s) => s.sensor) ?? [])].filter((s) => !listed.has(s) && (listed.add(s), true));
    return [...more.slice(-maxSensors), ...sensors];
  };
  const source = (): StateSource => {
    const card = cardNow();
    return { sensors: savedSensors(), state: (sensor) => stateOf(sensor, card) };
  };
  const collect = (): Record<string, SensorState> => {
    const { sensors, state } = source();
    return collectBy(sensors, state);
  };
  const store = config.state.file ? openStore(config.state.file, source, model, (sensor): AlertStates | undefined => alertStatesOf(alerts.stateOf(sensor), silence?.stateOf(sensor))) : undefined;
  const loaded = store ? restoredStates(store, log) : new Map<string, LoadedState>();
  // `restore` also serves states a fleet worker adopts from another (runtime/fleet/handover.ts).
  const savedThresholds = pick(loaded, (st) => st.threshold);
  const reportFailures = restoreFailureLog(log);
  // Thresholds learnt under another threshold config start fresh: said once at the start, not per sensor as each is
  // seen. A fresh one takes the saved one's place, so the rest of the sensor's state (an open alert, its silence
  // watch) is still saved and resumed.
  const differ = Object.entries(savedThresholds).flatMap(([sensor, t]) => {
    const reason = mismatch(t);
    return reason ? [{ sensor, reason }] : [];
  });
  for (const { sensor } of differ) savedThresholds[sensor] = factory().toJSON();
  // Sensors kept without a threshold (learnt under another model: only their open alert and silence watch) get a fresh
  // one too, so the saves list them: the save at start had dropped them again (a review).
  for (const [sensor, st] of loaded) if (!st.threshold && !savedThresholds[sensor]) savedThresholds[sensor] = factory().toJSON();
  reportFailures('threshold', differ);
  const bank = new ThresholdBank(factory, { saved: savedThresholds, restore, maxSensors });
  const residuals = new TrackedResiduals(pick(loaded, (st) => st.residualMean), maxSensors, store && card0, pick(loaded, (st) => st.residualClock));
  const { openK, openN, closeM, cooldownMs, openCritical } = config.alerts;
  const alerts = new AlertBank(checkPolicy({ openK, openN, closeM, cooldownMs, openCritical }), { saved: pick(loaded, (st) => st.alert), maxSensors, ...opts.alerts });
  const smoothers = smootherStates(config.smoothing, pick(loaded, (st) => st.smoothing), log);
  // In a fleet a sensor's partition can move to a worker that never saw it go silent (and would never say it is back).
  const s = config.alerts.silent;
  const silence = s.enabled && !config.fleet ? new SilentSensors({ factor: s.factor, minMs: s.minMs, maxSensors }, pick(loaded, (st) => st.silence), performance.now()) : undefined;
  // What failed to restore so far (checked at the start: alerts, silence watches), then at each report and at stop.
  const reportRestoreFailures = () => {
    reportFailures('threshold', bank.restoreFailures.splice(0));
    reportFailures('alert', alerts.restoreFailures.splice(0));
    reportFailures('smoother', smoothers.restoreFailures.splice(0));
    reportFailures('silence', (silence?.restoreFailures.splice(0) ?? []).map(({ sensor, problem }) => ({ sensor, reason: problem })));
  };
  reportRestoreFailures();
  const open = store ? alerts.openSensors() : [];
  if (open.length) log.info({ file: store?.path, openAlerts: open.length, sensors: open.slice(0, 10) }, 'open alerts restored; they resume and close as usual');

  // What the adaptive thresholds learn, at most once per persist interval and only for bars that moved.
  const learning = createLearningLog({ write: (fields, msg) => log.info(fields, msg) });
  const held = function* (): Generator<[string, Threshold]> {
    for (const [sensor, e] of bank.sensors()) yield [sensor, e.threshold];
  };
  // Which channels level drift excuses (runtime/scoring/drift-log.ts), on the same interval.
  const drifting = createDriftLog({ write: (fields, msg) => log.info(fields, msg) });
  const report = () => {
    reportRestoreFailures();
    learning.report(held());
    const card = cardNow();
    const residual = card.scoring.residual;
    const states = residual && residuals.peek(card);
    try {
      if (states) drifting.report(residual, card.channels, states.entries());
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'level drift not reported');
    }
  };
  const saves = stateSaves(store, { intervalMs: config.state.intervalMs, alertSaveMs: config.state.alertSaveMs, edge, log, report });
  // What the drift log's readers (excused, shifted channels) say of one sensor's state under the model in service.
  const trackedChannels = <T>(read: (r: ResidualModel, channels: string[], state: Float64Array | undefined) => T[], sensor: string): T[] => {
    const card = cardNow();
    return card.scoring.residual ? read(card.scoring.residual, card.channels, residuals.peek(card)?.peek(sensor)) : [];
  };
  return {
    bank,
    residuals,
    reAnchors: operatorCommands(residuals, alerts, cardNow, log, edge, saves.persistSoon),
    alerts,
    ...(silence ? { silence } : {}),
    smoothing: smoothers.factory,
    start: saves.start,
    persist: saves.persist,
    persistSoon: saves.persistSoon,
    async stop() {
      await saves.stop();
      reportRestoreFailures();
    },
    modelChanged(card) {
      Object.assign(model, modelIdOf(card));
    },
    states: collect,
    adopt(states) {
      const all = Object.entries(states);
      residuals.adopt(pick(all, (st) => st.residualMean), pick(all, (st) => st.residualClock));
      alerts.adopt(pick(all, (st) => st.alert));
      smoothers.adopt(pick(all, (st) => st.smoothing), (sensor) => bank.peek(sensor) !== undefined);
      return bank.adopt(pick(all, (st) => st.threshold));
    },
    forget(which) {
      smoothers.forget(which);
      bank.forget(which);
      residuals.forget(which);
      alerts.forget(which);
    },
    levelDrift: (sensor) => trackedChannels(excusedChannels, sensor),
    inputShifts: (sensor) => trackedChannels(shiftedChannels, sensor),
    learning(sensor) {
      const t = bank.peek(sensor);
      const s = t && learningOf(t);
      return s && { ...s, kind: t.kind };
    },
  };
}
