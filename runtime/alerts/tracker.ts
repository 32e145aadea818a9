/**
 * The alert state machine of one sensor, free of streams so it can be tested step by step.
 * Closed -> open when at least `openK` of the last `openN` verdicts are anomalous, or at once on an anomalous verdict
 * at the critical multiple of its threshold (and the cooldown since the last close has passed); open -> closed after
 * `closeM` quiet verdicts in a row. An alert opened below the critical
 * multiple of its threshold escalates when a window of it first reaches it (an incident that grows: a probe's
 * alerts all opened as warnings at 1.0-1.6x and peaked at 14-20x, and nothing said so until they closed), and again
 * whenever a window scores ESCALATE_FACTOR times the level the alert settled at (a fault on top of one already open: a
 * probe's setpoint change held an alert open at 2.4x, and a leak at 43x under it went unsaid), once per surge, or
 * ESCALATE_FACTOR times what it last said (its opening's or its last escalation's multiple), however slowly it got
 * there (a probe: a leak that grew over hours under a setpoint change's alert at 4.6x, to 620x, went unsaid: the level
 * followed it). Verdicts that repeat or precede one already seen are ignored (dedupe after a replay or a reconnect).
 */
import type { Verdict } from '../stream/types.ts';
import type { Mark } from '../scoring/re-anchor.ts';
import { AlertMark } from './alert-mark.ts';
import { savedMark, savedNumber, savePeak, restorePeak, type SavedPeak } from './saved-peak.ts';
import type { AlertPolicy } from './policy.ts';
import { mutes, savedMaintenance, SensorClock, type Maintenance } from './maintenance.ts';

export { alertPolicyFields, ALERT_DEFAULTS, checkPolicy, type AlertPolicy } from './policy.ts';

/**
 * A window scoring at least this multiple of its threshold is critical (an alert's `severity`; below, a warning), and
 * opens an alert at once whatever `openK` of `openN` asks: a spike or a stuck sensor (which scores twice the bar) is
 * not made to wait for more windows.
 */
export const CRITICAL_MULTIPLE = 2;

/**
 * An open alert escalates again when a window scores this multiple of the alert's level (a slow average of its
 * anomalous windows' scores, as multiples of their thresholds, in logs: LEVEL_RATE per window, from its opening's),
 * once per surge: it may again when an anomalous window is back under the critical multiple of the level. An order
 * of magnitude over what the alert has been is news (a second fault on top of the first); the alert's own opening
 * transient is not. A ramp slower than the level (an order of magnitude in fewer than about 1 / LEVEL_RATE windows is
 * a surge) is news once it is ESCALATE_FACTOR times what the alert last said, and again at each further factor.
 */
export const ESCALATE_FACTOR = 10;
/** How fast an open alert's level follows its windows (per window, on the log of their multiples). */
const LEVEL_RATE = 0.01;
/**
 * Windows an alert must have been open before a surge over its level escalates it: the level's own time constant, so
 * the first minutes of an incident (an opening at 3x that reaches 30x a few windows on) are its opening, not news.
 */
const LEVEL_WINDOWS = Math.round(1 / LEVEL_RATE);

/** Whether a score is critical against its threshold. */
export function isCritical(score: number, threshold: number): boolean {
  return threshold > 0 && score >= CRITICAL_MULTIPLE * threshold;
}

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
   * `critical`: the open alert has had a critical window (absent in states saved before escalation); `level`, `armed`,
   * `windows`: its level (log multiple), whether a surge over it would escalate and the windows it has been open
   * (absent in states saved before: its peak's, armed, established); `said`: the log multiple it last said (opening or
   * escalation; absent in states saved before: its peak's); `stuck`: it has said its sensor is stuck; `marked`: the operator's mark its close will say (alert-mark.ts;
   * absent: none). `maintenance`: the sensor's maintenance, set or under way (maintenance.ts; absent: none);
   * `clockLead`: its clock ahead of the gateway's, ms (maintenance.ts SensorClock; absent: not known).
   */
  maintenance?: Maintenance;
  clockLead?: number;
  open?: { openedAt: number; quiet: number; critical?: boolean; level?: number; armed?: boolean; windows?: number; said?: number; stuck?: boolean; peak: SavedPeak; marked?: Mark };
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** One sensor's alert state. */
export class AlertTracker {
  private readonly recent: Uint8Array;
  private pos = 0;
  private hits = 0;
  private lastTs = Number.NEGATIVE_INFINITY;
  private openedAt: number | undefined;
  private peak: Verdict | undefined;
  private quiet = 0;
  /** The open alert has had a critical window (it opened critical, or escalated). */
  private critical = false;
  /** The open alert's level: a slow average of the log of its anomalous windows' multiples of their thresholds. */
  private level = 0;
  /** Whether a surge over the level would escalate (not while one already did and has not subsided). */
  private armed = true;
  /** Windows seen since the alert opened. */
  private windowsOpen = 0;
  /** The log multiple the open alert last said: the highest of its opening minutes (LEVEL_WINDOWS), or its last escalation's. */
  private said = 0;
  /** Whether the open alert has said its sensor is stuck (a cause found after the opening is news: it escalates). */
  private stuckSaid = false;
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
      state.open = { openedAt: this.openedAt, quiet: this.quiet, critical: this.critical, level: this.level, armed: this.armed, windows: this.windowsOpen, said: this.said, ...(this.stuckSaid && { stuck: true }), peak: savePeak(p), ...this.mark.field() };
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
      // A state saved before escalation: critical if its peak was (no second escalation for what was seen).
      t.critical = typeof state.open.critical === 'boolean' ? state.open.critical : isCritical(num(peak?.score, 'open.peak.score'), num(peak?.threshold, 'open.peak.threshold'));
      // A state saved before repeated escalation: its peak is its level.
      t.level = state.open.level !== undefined ? num(state.open.level, 'open.level') : logMultiple(num(peak?.score, 'open.peak.score'), num(peak?.threshold, 'open.peak.threshold'));
      t.armed = state.open.armed !== false;
      t.windowsOpen = state.open.windows !== undefined ? num(state.open.windows, 'open.windows') : LEVEL_WINDOWS;
      // A state saved before: what it said is taken to be its peak (nothing it saw is said again).
      t.said = state.open.said !== undefined ? num(state.open.said, 'open.said') : logMultiple(num(peak?.score, 'open.peak.score'), num(peak?.threshold, 'open.peak.threshold'));
      t.stuckSaid = state.open.stuck === true;
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
    const step: AlertStep = { kind: 'close', verdict: { ...this.peak, tsFirst: at, tsLast: at }, openedAt: this.openedAt, durationMs: at - this.openedAt, peak: this.peak, critical: this.critical, unresolved: why };
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
    const { openedAt, peak, critical } = this;
    this.closed(v.tsLast);
    return { kind: 'close', verdict: v, openedAt, durationMs: v.tsLast - openedAt, peak, critical, maintenance: m };
  }

  /** Feed one verdict (in data-time order). */
  step(v: Verdict): AlertStep {
    if (v.tsLast <= this.lastTs) return { kind: 'duplicate' };
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
      if (this.hits < this.policy.openK && !(this.policy.openCritical !== false && v.anomaly && isCritical(v.score, v.threshold))) return { kind: 'none' };
      if (v.tsLast - this.lastClosedAt < this.policy.cooldownMs) return { kind: 'suppressed' };
      this.openedAt = v.tsLast;
      this.peak = kept(v);
      this.quiet = 0;
      this.critical = isCritical(v.score, v.threshold);
      this.level = logMultiple(v.score, v.threshold);
      this.said = this.level;
      this.armed = true;
      this.windowsOpen = 0;
      this.stuckSaid = v.cause === 'stuck';
      this.mark.opened(v);
      return { kind: 'open', verdict: v };
    }
    if (v.score > this.peak!.score) this.peak = kept(v);
    this.mark.step(v, this.quiet);
    this.quiet = v.anomaly ? 0 : this.quiet + 1;
    // The level follows the alert's anomalous windows only: quiet ones between them (an intermittent fault) would drag
    // it down and make its ordinary windows look like surges (a review: 81 escalations at 1.5x).
    const m = logMultiple(v.score, v.threshold);
    const established = ++this.windowsOpen >= LEVEL_WINDOWS && v.anomaly;
    // The opening minutes are the opening (3x, then 30x a few windows on): what they reach counts as said (a review:
    // said at 3x only, that alert escalated at its 100th window with nothing new).
    if (!established && v.anomaly && m > this.said) this.said = m;
    // A surge over the level (once, until it subsides), or a growth to a factor over what was last said (each factor).
    const surge = established && this.armed && m >= this.level + Math.log(ESCALATE_FACTOR);
    const grown = established && m >= this.said + Math.log(ESCALATE_FACTOR);
    if (v.anomaly) {
      if (!this.armed && m < this.level + Math.log(CRITICAL_MULTIPLE)) this.armed = true;
      this.level += LEVEL_RATE * (m - this.level);
    }
    // A stuck sensor found while open (a probe: the pager heard it only at the close): the fault is the instrument's.
    const stuck = v.cause === 'stuck' && !this.stuckSaid;
    if (v.anomaly && ((!this.critical && isCritical(v.score, v.threshold)) || surge || grown || stuck)) {
      this.critical = true;
      this.stuckSaid ||= v.cause === 'stuck';
      if (surge) this.armed = false;
      // What a cause alone escalates says no more of the score than was said (a review: a later growth came sooner).
      if (surge || grown || !stuck || m > this.said) this.said = m;
      return { kind: 'escalate', verdict: v, openedAt: this.openedAt };
    }
    if (this.quiet < this.policy.closeM) return { kind: 'none' };
    const step: AlertStep = { kind: 'close', verdict: v, openedAt: this.openedAt, durationMs: v.tsLast - this.openedAt, peak: this.peak!, critical: this.critical, ...this.mark.field() };
    // A new alert needs fresh evidence, not the tail of the one that just closed.
    this.closed(v.tsLast);
    return step;
  }
}

/**
 * The log of a score as a multiple of its threshold, floored at a thousandth (a window at 0 does not drag the level to
 * -Infinity); 0 (1x) without a positive threshold.
 */
function logMultiple(score: number, threshold: number): number {
  return threshold > 0 ? Math.log(Math.max(score / threshold, 1e-3)) : 0;
}

/**
 * The peak verdict as the tracker keeps it past its batch: its values and per-channel errors copied out of the
 * batch's buffers (a verdict's `data` is a view over the reused batch input; holding the batch's `perChannel` array
 * would keep every other window's errors alive with it). Only on an opening or a new peak, not per window.
 */
function kept(v: Verdict): Verdict {
  return { ...v, data: v.data.slice(), perChannel: v.perChannel.slice(), outside: v.outside?.slice(), rows: undefined };
}
