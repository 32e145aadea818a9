/**
 * When the runtime's state file is written: at start, every `state.intervalMs`, soon after an alert opens or closes
 * (its alert states only, into the journal beside the file; coalesced to one per `state.alertSaveMs`, none when 0), and
 * a last time on stop. Every save is counted and a failure is logged (one line per interval at
 * most, and one when saving works again), never thrown. The same
 * interval paces the log of what the adaptive thresholds learnt.
 */
import { resolve } from 'node:path';
import { defaultAt } from '../config/defaults.ts';
import type { ThresholdStore } from '../thresholds/threshold-store.ts';
import { rateLimitedWarning, WARNING_INTERVAL_MS } from '../util/rate-limited-warning.ts';
import type { VigilLogger } from './logger.ts';
import type { EdgeCounters } from './metrics.ts';

/** The saving schedule of one state file (or none). */
export interface StateSaves {
  /** Save now. */
  persist(): Promise<void>;
  /**
   * Save soon: the first at once, later ones coalesced to one per gap; nothing when the gap is 0. With `sensor` (an
   * alert event changed its alert or silence state) only the alert states changed since the last such save are appended
   * to the journal beside the file (alert-journal.ts); without (an operator's re-anchor) the whole file.
   */
  persistSoon(sensor?: string): void;
  /** Start the periodic saves and learning reports. */
  start(): void;
  /** Stop the timers and save a last time (after one under way). */
  stop(): Promise<void>;
}

/** Saves of `store` (none when undefined), and `report` (the learning log) on the same interval. */
export function stateSaves(
  store: ThresholdStore | undefined,
  opts: { intervalMs: number; alertSaveMs: number; edge: EdgeCounters; log: VigilLogger; report: () => void },
): StateSaves {
  const { edge, log, intervalMs, alertSaveMs } = opts;
  // Where it is, whatever folder vigil was started in (the default `vigil-state.json` is relative: a service started in
  // a read-only folder said only "EROFS ... open 'vigil-state.json.1234.1.tmp'"), and what to do about it.
  const path = store && resolve(store.path);
  const fix = `state.file (--state FILE) must name a file in a folder vigil can write (the default, ${String(defaultAt('state.file'))}, is in the folder vigil starts in); --state off keeps no state: thresholds, open alerts and silences then start afresh at every start`;
  // One error line per interval at most, however many saves fail (a probe: a full disk logged one for every alert
  // event's save as well as every interval's), and one line when saving works again.
  const failed = rateLimitedWarning(
    { warn: (o, m) => log.error(o, m) },
    (count, errors) => [{ file: store?.path, path, err: Object.keys(errors)[0], failures: count, ...(Object.keys(errors).length > 1 ? { errors } : {}), fix }, 'threshold state not saved'],
    // Once per save interval at most (a review: the default 10 s of other warnings logged twice an interval).
    Math.max(WARNING_INTERVAL_MS, intervalMs),
  );
  let failing = 0;
  const persist = async (only: 'all' | 'alerts' = 'all') => {
    if (!store) return;
    try {
      await (only === 'alerts' ? store.saveAlerts() : store.saveNow());
      edge.statePersists++;
      edge.stateSaveError = null;
      if (failing > 0) {
        failed.flush();
        log.info({ file: store.path, failedSaves: failing }, 'threshold state saved again');
        failing = 0;
      }
    } catch (err) {
      edge.statePersistFailures++;
      edge.stateSaveError = `${(err as Error).message} (state file ${path}: ${fix})`;
      failing++;
      failed.add((err as Error).message);
    }
  };
  // Saves asked for soon: the first at once, then at most one per gap, the gap at least `alertSaveMs` and 20 times the
  // last save's duration (one save per event had taken most of a core at 1,000 sensors and ~100 alert events/s,
  // test/ops/persist-soon.test.ts). An alert event's save writes the journal of alert states only (a storm at 1,000
  // sensors rewrote the 1.5 MB file every second), unless a full one was asked for too.
  let saving: Promise<void> | undefined;
  let scheduled = false;
  let wantAll = false;
  let lastSave = Number.NEGATIVE_INFINITY;
  let gapMs = alertSaveMs;
  let delayed: NodeJS.Timeout | undefined;
  const persistSoon = (sensor?: string) => {
    if (!store || alertSaveMs <= 0) return;
    if (sensor === undefined) wantAll = true;
    else store.noteAlerts(sensor);
    if (scheduled) return;
    scheduled = true;
    const run = async () => {
      delayed = undefined;
      await saving;
      scheduled = false;
      const only = wantAll ? 'all' : 'alerts';
      wantAll = false;
      const t0 = Date.now();
      lastSave = t0;
      saving = persist(only);
      await saving;
      gapMs = Math.max(alertSaveMs, 20 * (Date.now() - t0));
    };
    const wait = lastSave + gapMs - Date.now();
    if (wait <= 0) void run();
    else (delayed = setTimeout(() => void run(), wait)).unref();
  };
  let timer: NodeJS.Timeout | undefined;
  let learnTimer: NodeJS.Timeout | undefined;
  return {
    persist,
    persistSoon,
    start() {
      // A first save at once: a state folder that cannot be written (read-only, full, wrong owner) is said at start and
      // on /health, not found at the first restart that resumes nothing (a probe: /health said ok while every save failed).
      void persist();
      if (intervalMs <= 0) return;
      // Our own timer (not the store's) so every save is counted and failures are logged the same way.
      if (store) (timer = setInterval(() => void persist(), intervalMs)).unref();
      (learnTimer = setInterval(opts.report, intervalMs)).unref();
    },
    async stop() {
      clearInterval(timer);
      clearInterval(learnTimer);
      // A save an alert asked for is taken by this last one; one under way finishes first.
      clearTimeout(delayed);
      await saving;
      await persist();
      // A last full save that failed (a full disk) leaves the alert states noted since the journal's last line unsaved,
      // and the stop dropped the save they asked for: the journal's small line may still fit.
      if (failing > 0) await persist('alerts');
      failed.flush();
    },
  };
}
