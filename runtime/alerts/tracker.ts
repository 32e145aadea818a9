/**
 * The alert state machine of one sensor, free of streams so it can be tested step by step.
 * Closed -> open when at least `openK` of the last `openN` verdicts are anomalous, or at once on an anomalous verdict
 * at the critical multiple of its threshold (and the cooldown since the last close has passed); open -> closed after
 * `closeM` quiet verdicts in a row; in between it may escalate (escalation.ts). Verdicts that repeat or precede one
 * already seen are ignored (dedupe after a replay or a reconnect).
 */
import type { Verdict } from '../stream/types.ts';
import type { Mark } from '../scoring/re-anchor.ts';
import { AlertMark } from './alert-mark.ts';
import { savedMark, savedNumber, savePeak, restorePeak, type SavedPeak } from './saved-peak.ts';
import type { AlertPolicy } from './policy.ts';
import { mutes, savedMaintenance, SensorClock, type Maintenance } from './maintenance.ts';
import { Escalation, isCritical, type SavedEscalation } from './escalation.ts';

export { alertPolicyFields, ALERT_DEFAULTS, checkPolicy, type AlertPolicy } from './policy.ts';
export { CRITICAL_MULTIPLE, ESCALATE_FACTOR, isCritical } from './escalation.ts';

/**
 * Why an alert closed without a quiet window: `silent`, its sensor sent nothing for as long as vigil keeps its window;
 * `evicted`, vigil dropped the sensor's alert state to make room for another sensor (window.maxSensors over all pools).
 */
export type Unresolved = 'silent' | 'evicted';

/** What one verdict did to the sensor's alert. */
export type AlertStep =
  | { kind: 'none' }
  | { kind: 'duplicate' }
  | { kind: 'suppressed' }
  | { kind: 'open'; verdict: Verdict }
  | { kind: 'escalate'; verdict: Verdict; openedAt: number }
  | { kind: 'close'; verdict: Verdict; openedAt: number; durationMs: number; peak: Verdict; critical: boolean; unresolved?: Unresolved; marked?: Mark; maintenance?: Maintenance }
  /** A window of a sensor under maintenance (maintenance.ts): judged, opens nothing. */
  | { kind: 'muted'; verdict: Verdict; maintenance: Maintenance };

/**
 * What a tracker saves (JSON-safe): the recent verdict bits oldest first, and the open episode if any, so a
 * restarted runtime resumes it (no second `open`; the `close` measures from the true opening).
 */
export interface AlertTrackerState {
  recent: number[];
  /** Data time of the last verdict seen (null: none yet). */
  lastTs: number | null;
  lastClosedAt: number | null;
  /**
   * `maintenance`: the sensor's maintenance, set or under way (maintenance.ts; absent: none); `clockLead`: its clock
   * ahead of the gateway's, ms (maintenance.ts SensorClock; absent: not known). `open`: its escalation's fields
   * (escalation.ts SavedEscalation) and `marked`, the operator's mark its close will say (alert-mark.ts; absent: none).
   */
  maintenance?: Maintenance;
  clockLead?: number;
  open?: { openedAt: number; quiet: number; peak: SavedPeak; marked?: Mark } & SavedEscalation;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

// The steps that carry nothing but their kind, one of each: most windows step to `none`, and an object per window added up.
const NONE: AlertStep = Object.freeze({ kind: 'none' });
const DUPLICATE: AlertStep = Object.freeze({ kind: 'duplicate' });
const SUPPRESSED: AlertStep = Object.freeze({ kind: 'suppressed' });

/** One sensor's alert state. */
export class AlertTracker {
  private readonly recent: Uint8Array;
  private pos = 0;
  private hits = 0;
  private lastTs = Number.NEGATIVE_INFINITY;
  private openedAt: number | undefined;
  private peak: Verdict | undefined;
  private quiet = 0;
  /** Whether the open alert has been critical, its level and what it last said (escalation.ts). */
  private readonly escalation = new Escalation();
  /** An operator's mark while it is open, for its close to say (alert-mark.ts). */
  private readonly mark = new AlertMark();
  private lastClosedAt = Number.NEGATIVE_INFINITY;
  /** The sensor's maintenance, until a window after it (maintenance.ts), and its clock, which that is read on. */
  private maintenance: Maintenance | undefined;
  private readonly clock = new SensorClock();

  constructor(private readonly policy: AlertPolicy) {
    this.recent = new Uint8Array(policy.openN);
  }

  /** Whether an alert is open. */
  get isOpen(): boolean {
    return this.openedAt !== undefined;
  }

  /** The state to save. */
  toJSON(): AlertTrackerState {
    const n = this.recent.length;
    const recent = Array.from({ length: n }, (_, i) => this.recent[(this.pos + i) % n]);
    const state: AlertTrackerState = { recent, lastTs: finiteOrNull(this.lastTs), lastClosedAt: finiteOrNull(this.lastClosedAt), ...(this.maintenance && { maintenance: this.maintenance }), ...this.clock.field() };
    if (this.openedAt !== undefined) {
      const p = this.peak!;
      state.open = { openedAt: this.openedAt, quiet: this.quiet, ...this.escalation.fields(), peak: savePeak(p), ...this.mark.field() };
    }
    return state;
  }

  /**
   * A tracker that continues from saved state under `policy` (the newest `openN` verdict bits are kept when
   * the policy changed). Throws, naming the field, when the state is malformed.
   */
  static restore(policy: AlertPolicy, state: AlertTrackerState, sensor = ''): AlertTracker {
    const num = savedNumber;
    const t = new AlertTracker(policy);
    if (!Array.isArray(state?.recent)) throw new Error('saved alert state: recent must be an array of 0/1');
    const bits = state.recent.slice(-policy.openN);
    bits.forEach((b, i) => (t.recent[policy.openN - bits.length + i] = b ? 1 : 0));
    t.hits = t.recent.reduce((a, b) => a + b, 0);
    if (state.lastTs !== null) t.lastTs = num(state.lastTs, 'lastTs');
    if (state.lastClosedAt !== null) t.lastClosedAt = num(state.lastClosedAt, 'lastClosedAt');
    t.maintenance = savedMaintenance(state.maintenance);
    t.clock.restore(state.clockLead);
    if (state.open) {
      const { openedAt, quiet, peak } = state.open;
      t.openedAt = num(openedAt, 'open.openedAt');
      t.quiet = num(quiet, 'open.quiet');
      t.escalation.restore(state.open);
      t.peak = restorePeak(peak, sensor);
      t.mark.restore(savedMark(state.open.marked));
    }
    return t;
  }

  /**
   * Close an open alert that no verdict will ever close: its sensor sent nothing for as long as vigil keeps a sensor's
   * window (`window.idleEvictMs`), or vigil stops tracking it (`evicted`: its state dropped for room). The close is
   * marked `unresolved` with `why`, explained by the peak and dated at the last verdict; undefined when nothing is open.
   */
  abandon(why: Unresolved = 'silent'): AlertStep | undefined {
    if (this.openedAt === undefined || !this.peak) return undefined;
    const at = Number.isFinite(this.lastTs) ? this.lastTs : this.peak.tsLast;
    // Closed by silence or eviction, not by a mark made before it.
    const step: AlertStep = { kind: 'close', verdict: { ...this.peak, tsFirst: at, tsLast: at }, openedAt: this.openedAt, durationMs: at - this.openedAt, peak: this.peak, critical: this.escalation.critical, unresolved: why };
    this.closed(at);
    return step;
  }

  /** The sensor's maintenance (undefined: none, or ended early); a window after its end forgets it. */
  maintain(m: Maintenance | undefined): void {
    this.maintenance = m;
  }

  /** The sensor's maintenance set or under way, if any. */
  get maintenanceSet(): Maintenance | undefined {
    return this.maintenance;
  }

  /** Forget what the closed alert and the windows before it held: a new alert needs fresh evidence. */
  private closed(at: number): void {
    this.openedAt = undefined;
    this.mark.clear();
    this.peak = undefined;
    this.lastClosedAt = at;
    this.recent.fill(0);
    this.hits = 0;
  }

  /** A window under maintenance: an open alert closes, saying so; the window counts start again. */
  private muted(v: Verdict, m: Maintenance): AlertStep {
    if (this.openedAt === undefined || !this.peak) {
      this.recent.fill(0);
      this.hits = 0;
      return { kind: 'muted', verdict: v, maintenance: m };
    }
    const { openedAt, peak } = this;
    const { critical } = this.escalation;
    this.closed(v.tsLast);
    return { kind: 'close', verdict: v, openedAt, durationMs: v.tsLast - openedAt, peak, critical, maintenance: m };
  }

  /** Feed one verdict (in data-time order). */
  step(v: Verdict): AlertStep {
    if (v.tsLast <= this.lastTs) return DUPLICATE;
    this.lastTs = v.tsLast;
    this.clock.see(v.tsLast, v.receivedAt);
    if (this.maintenance) {
      const [work, at] = [this.maintenance, this.clock.onGateway(v.tsLast)];
      if (mutes(work, at)) return this.muted(v, work);
      if (at >= work.until) {
        this.maintenance = undefined;
        // No window came in it (the machine off): the alert open since before it closes for it now, as it would have then.
        if (this.openedAt !== undefined) return this.muted(v, work);
      }
    }
    const bit = v.anomaly ? 1 : 0;
    this.hits += bit - this.recent[this.pos];
    this.recent[this.pos] = bit;
    this.pos = (this.pos + 1) % this.recent.length;

    if (this.openedAt === undefined) {
      if (this.hits < this.policy.openK && !(this.policy.openCritical !== false && v.anomaly && isCritical(v.score, v.threshold))) return NONE;
      if (v.tsLast - this.lastClosedAt < this.policy.cooldownMs) return SUPPRESSED;
      this.openedAt = v.tsLast;
      this.peak = kept(v);
      this.quiet = 0;
      this.escalation.opened(v);
      this.mark.opened(v);
      return { kind: 'open', verdict: v };
    }
    if (v.score > this.peak!.score) this.peak = kept(v);
    this.mark.step(v, this.quiet);
    this.quiet = v.anomaly ? 0 : this.quiet + 1;
    if (this.escalation.step(v)) return { kind: 'escalate', verdict: v, openedAt: this.openedAt };
    if (this.quiet < this.policy.closeM) return NONE;
    const step: AlertStep = { kind: 'close', verdict: v, openedAt: this.openedAt, durationMs: v.tsLast - this.openedAt, peak: this.peak!, critical: this.escalation.critical, ...this.mark.field() };
    // A new alert needs fresh evidence, not the tail of the one that just closed.
    this.closed(v.tsLast);
    return step;
  }
}

/**
 * What a kept peak holds for its window's values: none. A close event, a save and a restore read its score, bar, time
 * and per-channel errors, never its W x C values (a restored peak has none either: saved-peak.ts `restorePeak`).
 */
const NO_VALUES = new Float32Array(0);

/**
 * The peak verdict as the tracker keeps it past its batch: its per-channel errors copied out of the batch's buffers
 * (holding the batch's `perChannel` array would keep every other window's errors alive with it), its values dropped
 * (a verdict's `data` is a view over the reused batch input). Only on an opening or a new peak, not per window. A copy
 * of the values (2 KB at 64 x 8) lived as long as the alert, past the young generation, and died in the old one, where
 * what is promoted brings the full collections whose pauses are the slowest alerts' (`bench/allocation.ts --promoted`).
 */
function kept(v: Verdict): Verdict {
  return { ...v, data: NO_VALUES, perChannel: v.perChannel.slice(), outside: v.outside?.slice(), rows: undefined };
}
