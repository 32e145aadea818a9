/**
 * When an open alert says more: it escalates when a window of it first reaches the critical multiple of its threshold
 * (an incident that grows: a probe's alerts all opened as warnings at 1.0-1.6x and peaked at 14-20x, and nothing said
 * so until they closed), and again whenever a window scores ESCALATE_FACTOR times the level the alert settled at (a
 * fault on top of one already open: a probe's setpoint change held an alert open at 2.4x, and a leak at 43x under it
 * went unsaid), once per surge, or ESCALATE_FACTOR times what it last said (its opening's or its last escalation's
 * multiple), however slowly it got there (a probe: a leak that grew over hours under a setpoint change's alert at
 * 4.6x, to 620x, went unsaid: the level followed it), or when its sensor is first found stuck. One per open alert, in
 * the tracker (tracker.ts), which owns the opening and closing.
 */
import type { Verdict } from '../stream/types.ts';
import { savedNumber, type SavedPeak } from './saved-peak.ts';

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
 * An open alert's escalation as saved (fields of the tracker's saved `open`): `critical`, it has had a critical window
 * (absent in states saved before escalation); `level`, `armed`, `windows`: its level (log multiple), whether a surge
 * over it would escalate and the windows it has been open (absent in states saved before: its peak's, armed,
 * established); `said`: the log multiple it last said (opening or escalation; absent in states saved before: its
 * peak's); `stuck`: it has said its sensor is stuck. `peak` is the alert's peak, read for states saved before.
 */
export interface SavedEscalation {
  critical?: boolean;
  level?: number;
  armed?: boolean;
  windows?: number;
  said?: number;
  stuck?: boolean;
  peak: SavedPeak;
}

/** An open alert's escalation state: whether it has been critical, its level, and what it last said. */
export class Escalation {
  /** The open alert has had a critical window (it opened critical, or escalated). */
  critical = false;
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

  /** The window that opens the alert. */
  opened(v: Verdict): void {
    this.critical = isCritical(v.score, v.threshold);
    this.level = logMultiple(v.score, v.threshold);
    this.said = this.level;
    this.armed = true;
    this.windowsOpen = 0;
    this.stuckSaid = v.cause === 'stuck';
  }

  /** A later window of the open alert: whether it escalates the alert. */
  step(v: Verdict): boolean {
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
    if (!(v.anomaly && ((!this.critical && isCritical(v.score, v.threshold)) || surge || grown || stuck))) return false;
    this.critical = true;
    this.stuckSaid ||= v.cause === 'stuck';
    if (surge) this.armed = false;
    // What a cause alone escalates says no more of the score than was said (a review: a later growth came sooner).
    if (surge || grown || !stuck || m > this.said) this.said = m;
    return true;
  }

  /** As fields of a saved open alert (`stuck` absent unless said). */
  fields(): Omit<SavedEscalation, 'peak'> {
    return { critical: this.critical, level: this.level, armed: this.armed, windows: this.windowsOpen, said: this.said, ...(this.stuckSaid && { stuck: true }) };
  }

  /** Continue a saved open alert's escalation; throws, naming the field, when one is malformed. */
  restore(open: SavedEscalation): void {
    const num = savedNumber;
    const { peak } = open;
    // A state saved before escalation: critical if its peak was (no second escalation for what was seen).
    this.critical = typeof open.critical === 'boolean' ? open.critical : isCritical(num(peak?.score, 'open.peak.score'), num(peak?.threshold, 'open.peak.threshold'));
    // A state saved before repeated escalation: its peak is its level.
    this.level = open.level !== undefined ? num(open.level, 'open.level') : logMultiple(num(peak?.score, 'open.peak.score'), num(peak?.threshold, 'open.peak.threshold'));
    this.armed = open.armed !== false;
    this.windowsOpen = open.windows !== undefined ? num(open.windows, 'open.windows') : LEVEL_WINDOWS;
    // A state saved before: what it said is taken to be its peak (nothing it saw is said again).
    this.said = open.said !== undefined ? num(open.said, 'open.said') : logMultiple(num(peak?.score, 'open.peak.score'), num(peak?.threshold, 'open.peak.threshold'));
    this.stuckSaid = open.stuck === true;
  }
}

/**
 * The log of a score as a multiple of its threshold, floored at a thousandth (a window at 0 does not drag the level to
 * -Infinity); 0 (1x) without a positive threshold.
 */
function logMultiple(score: number, threshold: number): number {
  return threshold > 0 ? Math.log(Math.max(score / threshold, 1e-3)) : 0;
}
