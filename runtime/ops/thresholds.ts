/**
 * Per-sensor thresholds for the live process: the configured kind (or the card's default), restored from the
 * state file a previous run saved, persisted periodically and on stop with the thresholds module's atomic
 * store. A saved state made under another threshold config or model starts that sensor fresh, with a warning.
 */
import type { RunConfig } from '../config/schema.ts';
import type { ModelRef } from '../inference/model-ref.ts';
import { ThresholdBank, type ScoreSmoother } from '../stream/threshold-bank.ts';
import { createThreshold, parseThresholdConfig, restoreThreshold } from '../thresholds/factory.ts';
import { ThresholdStore, type SensorState } from '../thresholds/store.ts';
import type { ThresholdState } from '../thresholds/threshold.ts';
import { createSmoother } from '../scoring/smoothing.ts';
import type { VigilLogger } from './logger.ts';
import type { EdgeCounters } from './metrics.ts';

/** Thresholds wired for the runtime. */
export interface RuntimeThresholds {
  bank: ThresholdBank;
  /** Smoother factory for the pipeline, or undefined for none. */
  smoothing?: () => ScoreSmoother;
  /** Start periodic persistence. */
  start(): void;
  /** Persist now. */
  persist(): Promise<void>;
  /** Stop the timer and persist a last time. */
  stop(): Promise<void>;
}

/** Build the bank, restore saved state, and prepare persistence. Throws naming the bad threshold key. */
export function openThresholds(config: RunConfig, ref: ModelRef, log: VigilLogger, edge: EdgeCounters): RuntimeThresholds {
  const card0 = ref.current.card;
  const thrConfig = parseThresholdConfig(config.threshold ?? card0.threshold.default, 'threshold');
  const want = JSON.stringify(thrConfig);
  // New sensors take the calibration of the card in service (it changes on hot reload).
  const factory = () => createThreshold(thrConfig, ref.current.card);
  const restore = (s: ThresholdState): ReturnType<typeof createThreshold> => {
    const saved = JSON.stringify(parseThresholdConfig({ ...s.config, kind: s.kind }, 'saved threshold'));
    if (saved !== want) throw new Error(`saved threshold ${saved} differs from the configured ${want}`);
    return restoreThreshold(s, ref.current.card);
  };
  const smoothing = config.smoothing.kind === 'none' ? undefined : () => createSmoother(config.smoothing);

  let bank: ThresholdBank;
  let store: ThresholdStore | undefined;
  const model = { name: card0.name, version: card0.version };
  if (config.state.file) {
    const file = config.state.file;
    const collect = (): Record<string, SensorState> => {
      const out: Record<string, SensorState> = {};
      for (const [sensor, t] of Object.entries(bank.snapshot())) out[sensor] = { threshold: t };
      return out;
    };
    store = new ThresholdStore(file, collect, {
      intervalMs: config.state.intervalMs,
      model,
      onError: (err) => {
        edge.statePersistFailures++;
        log.error({ file, err: err.message }, 'threshold state not saved');
      },
    });
    const loaded = store.load();
    if (loaded.problem) log.warn({ file, problem: loaded.problem, setAside: loaded.setAside }, 'threshold state not restored');
    const saved = Object.fromEntries([...loaded.states].map(([sensor, s]) => [sensor, s.threshold]));
    bank = new ThresholdBank(factory, { saved, restore, maxSensors: config.window.maxSensors });
    if (loaded.states.size) log.info({ file, sensors: loaded.states.size, savedAt: loaded.savedAt }, 'threshold state restored');
  } else {
    // `restore` also serves states a fleet worker adopts from another (runtime/fleet/handover.ts).
    bank = new ThresholdBank(factory, { restore, maxSensors: config.window.maxSensors });
  }

  const persist = async () => {
    if (!store) return;
    try {
      await store.saveNow();
      edge.statePersists++;
    } catch (err) {
      edge.statePersistFailures++;
      log.error({ file: store.path, err: (err as Error).message }, 'threshold state not saved');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    bank,
    smoothing,
    start() {
      // Our own timer (not the store's) so every save is counted and failures are logged the same way.
      if (store && config.state.intervalMs > 0) {
        timer = setInterval(() => void persist(), config.state.intervalMs);
        timer.unref();
      }
    },
    persist,
    async stop() {
      clearInterval(timer);
      await persist();
      for (const f of bank.restoreFailures.splice(0)) log.warn(f, 'saved threshold not restored; sensor started fresh');
    },
  };
}
