/**
 * The reservoir of one model: the recent windows the runtime judged clearly normal, which `vigil adapt` fine-tunes
 * on, and the windows of alerts, which it must still flag (canaries). Fed every detection; memory and file bounded
 * by `maxBytes`.
 *
 * A window enters only when it scored under `normalShare` x its threshold, outside any alert of its sensor and
 * outside a guard band around every anomalous window of its sensor: it first waits `guardMs` of data time (an
 * anomalous window of the sensor meanwhile discards every window still waiting, so the onset of a ramp under the bar
 * is not learnt, as the thresholds' learning gate does), and a sensor's windows stay out for `guardMs` after its
 * last anomalous one. At most one window per sensor per `sampleEveryMs`. What entered is a ring over recent time:
 * when the budget is full the oldest goes. Which alerts become canaries, and how they share the budget: canaries.ts.
 *
 * A swap seeds each sensor's residual levels from its newest clearly normal windows (seed-residuals.ts), and those
 * must be today's: the training ring's are at least `guardMs` old and, while sporadic flags keep a sensor in its
 * guard band, far older. So the clearly normal windows the guard band keeps out of training (those in it, and those
 * an anomalous window discarded from the wait) are held aside, the newest `levelCap` per sensor, for that seed only
 * (in memory, not in the file): `levelWindows()`. They take only free room and at most a quarter of the budget
 * (training windows and canaries come first), and each window of the sensor that waits to enter the ring again
 * replaces one of them, so a sensor back to normal holds none once it has `levelCap` newer ones.
 */
import type { Detection } from '../stream/types.ts';
import type { Scaler } from '../scaling/scaler.ts';
import { lruGet } from '../util/lru.ts';
import { Canaries, type CanaryWatch } from './canaries.ts';
import type { ReservoirConfig } from './config.ts';
import { storedWindow, storedWindowBytes, type ReservoirModel, type ReservoirSnapshot, type SavedDriftReference, type StoredCanary, type StoredWindow } from './reservoir-file.ts';

/** Why windows were kept out, counted. */
export interface ReservoirCounts {
  entered: number;
  /** Flagged, in an open alert, or waiting when one of those came. */
  incident: number;
  /** Clearly normal, but in the guard band after an incident (held aside for the level seed only). */
  guard: number;
  /** Not clearly normal (at or above normalShare x threshold), or not finite. */
  score: number;
  /** Held past a channel's max age (forward-filled). */
  incomplete: number;
  /** Thinned by sampleEveryMs. */
  sampled: number;
  /** Nothing left to evict for it (the waiting windows fill the budget). */
  budget: number;
}

/** A sensor's gate, and its alert being collected (canaries.ts). */
interface SensorState extends CanaryWatch {
  /** Data time until which windows stay out. */
  guardUntil: number;
  lastTaken: number;
  waiting: StoredWindow[];
  /** Clearly normal windows the guard band kept out of training, oldest first (levelWindows). */
  aside: StoredWindow[];
}

/** A sensor's state when first heard from (or restored with its guard band). */
const newSensor = (guardUntil: number): SensorState => ({ guardUntil, lastTaken: -Infinity, waiting: [], peak: 0, aside: [] });

/** Sensors tracked at most (the least recently heard from is forgotten). */
const MAX_SENSORS = 100_000;

/** A bounded reservoir of clearly normal windows and alert canaries for one model. */
export class Reservoir {
  /** Windows held in total (ring + waiting + canaries + aside), from `maxBytes`. */
  readonly capacity: number;
  /** Entered windows, oldest first (a queue: the oldest goes when the budget is full). */
  private ring: StoredWindow[] = [];
  private readonly canaries: Canaries;
  private readonly sensors = new Map<string, SensorState>();
  private waitingCount = 0;
  private asideCount = 0;
  /** At most this many windows held aside, all sensors. */
  private readonly asideCap: number;
  private fresh = 0;
  /** Wall-clock ms of the last adaptation attempt (kept in the file). */
  private attemptedAt: number | undefined;
  /** Newest data time seen. */
  private latest = -Infinity;
  readonly counts: ReservoirCounts = { entered: 0, incident: 0, guard: 0, score: 0, incomplete: 0, sampled: 0, budget: 0 };
  /** Bumped on every change (persistence writes only when it moved). */
  version = 0;
  /** The drift trigger's reference, written with the windows (set by the adaptation, `keepDriftReference`). */
  private drift: SavedDriftReference | undefined;

  constructor(
    readonly model: ReservoirModel,
    private readonly cfg: ReservoirConfig,
    restored?: ReservoirSnapshot,
    /** Windows held aside per sensor for the level seed (adapt.seedWindows). */
    private readonly levelCap = 32,
  ) {
    const per = storedWindowBytes(model.window, model.channels.length);
    this.capacity = Math.floor(cfg.maxBytes / per);
    this.asideCap = Math.floor(this.capacity / 4);
    const canaryMax = cfg.canaryAlerts * cfg.canaryWindows;
    if (this.capacity < 2 * canaryMax || this.capacity < 20) {
      throw new Error(`adapt.reservoir.maxBytes ${cfg.maxBytes} holds ${this.capacity} windows of ${model.window} x ${model.channels.length} (${per} B each); expected room for at least twice the canaries (canaryAlerts x canaryWindows = ${canaryMax}) and 20 windows: raise maxBytes or lower the canary settings`);
    }
    this.canaries = new Canaries(cfg, {
      makeRoom: () => this.makeRoom(),
      fit: (windows) => {
        while (this.ring.length && this.held + windows > this.capacity) this.ring.shift();
      },
      changed: () => void this.version++,
    });
    if (restored) this.restore(restored);
  }

  /** Clearly normal windows held now. */
  get size(): number {
    return this.ring.length;
  }

  /** Windows that entered since `markAttempt()`. */
  get freshCount(): number {
    return this.fresh;
  }

  /** Estimated bytes held (every window, at its size in the file; the budget `maxBytes` bounds). */
  get bytes(): number {
    return this.held * storedWindowBytes(this.model.window, this.model.channels.length);
  }

  /** Windows held now: entered, waiting, canaries and held aside (at most `capacity`). */
  private get held(): number {
    return this.ring.length + this.waitingCount + this.canaries.count + this.asideCount;
  }

  /** Feed one detection; `scaler` is the one its window's values are scaled with. */
  observe(d: Detection, scaler: Scaler): void {
    const v = d.verdict;
    if (v.tsLast > this.latest) this.latest = v.tsLast;
    const s = lruGet(this.sensors, v.sensor, () => newSensor(-Infinity), MAX_SENSORS, (_k, old) => this.forget(old));
    // Maintenance (d.muted) is work on the machine: held aside with its guard band, as an incident is.
    if (v.anomaly || d.alertOpen || d.alert || d.muted) {
      this.counts.incident += 1 + s.waiting.length;
      for (const w of s.waiting) this.holdAside(s, () => w, true);
      this.dropWaiting(s);
      s.guardUntil = Math.max(s.guardUntil, v.tsLast + this.cfg.guardMs);
      this.canaries.collect(s, d, scaler);
      return;
    }
    this.promote(s, v.tsLast);
    if (!(v.score < this.cfg.normalShare * v.threshold)) this.counts.score++;
    else if (v.incomplete) this.counts.incomplete++;
    else if (v.tsLast - s.lastTaken < this.cfg.sampleEveryMs) this.counts.sampled++;
    else if (v.tsLast < s.guardUntil) {
      this.counts.guard++;
      s.lastTaken = v.tsLast;
      this.holdAside(s, () => storedWindow(d, scaler));
    } else if (!this.makeRoom()) this.counts.budget++;
    else {
      s.lastTaken = v.tsLast;
      s.waiting.push(storedWindow(d, scaler));
      this.waitingCount++;
      // A newer window of the sensor: one held aside is no longer among its newest.
      if (s.aside.length) {
        s.aside.shift();
        this.asideCount--;
      }
      this.promote(s, v.tsLast);
    }
  }

  /**
   * A sensor in alert or in its guard band, if any. Measured against the newest data time of any sensor, so a
   * sensor that went silent during an incident does not hold adaptation off for ever.
   */
  incident(): string | undefined {
    for (const [name, s] of this.sensors) if (s.guardUntil > this.latest) return name;
    return undefined;
  }

  /**
   * The windows a swap seeds residual levels from: the entered, waiting and set-aside ones (any order; the seed takes
   * each sensor's newest).
   */
  levelWindows(): StoredWindow[] {
    const out = this.ring.slice();
    for (const s of this.sensors.values()) out.push(...s.waiting, ...s.aside);
    return out;
  }

  /** The drift trigger's reference kept, if any. */
  driftReference(): SavedDriftReference | undefined {
    return this.drift;
  }

  /** Keep the drift trigger's reference with the windows (written on the next persist). */
  keepDriftReference(r: SavedDriftReference): void {
    this.drift = r;
    this.version++;
  }

  /** An adaptation was attempted at `at` (wall-clock ms): count fresh windows from zero, and keep when. */
  markAttempt(at = Date.now()): void {
    this.fresh = 0;
    this.attemptedAt = at;
    this.version++;
  }

  /** Wall-clock ms of the last adaptation attempt, restored with the file; undefined when none is recorded. */
  get lastAttemptAt(): number | undefined {
    return this.attemptedAt;
  }

  /** Drop `sensor`'s canaries, kept and being collected (canaries.ts `release`); returns them. */
  releaseCanaries(sensor: string): StoredCanary[] { return this.canaries.release(sensor, this.sensors.get(sensor)); }

  /** Forget the clearly normal windows (after a rollback: a new attempt learns from what comes after). */
  clearWindows(): void {
    this.ring = [];
    for (const s of this.sensors.values()) {
      this.dropWaiting(s);
      this.dropAside(s);
    }
    this.fresh = 0;
    this.version++;
  }

  /** What a file holds: entered windows oldest first, canaries (the open ones too). */
  snapshot(): ReservoirSnapshot {
    const windows = this.ring.slice();
    const canaries = this.canaries.snapshot(this.sensors.values());
    const guards: Record<string, number> = {};
    for (const [name, s] of this.sensors) if (Number.isFinite(s.guardUntil)) guards[name] = s.guardUntil;
    return { model: this.model, windows, canaries, fresh: this.fresh, guards, ...(this.drift ? { drift: this.drift } : {}), ...(this.attemptedAt !== undefined ? { attemptedAt: this.attemptedAt } : {}) };
  }

  private restore(r: ReservoirSnapshot): void {
    const m = r.model;
    if (m.name !== this.model.name || m.window !== this.model.window || m.channels.join(',') !== this.model.channels.join(',')) {
      throw new Error(`the reservoir is of model '${m.name}' (${m.window} x [${m.channels.join(', ')}]); the model in service is '${this.model.name}' (${this.model.window} x [${this.model.channels.join(', ')}])`);
    }
    this.canaries.restore(r.canaries);
    const room = this.capacity - this.canaries.count;
    this.ring = r.windows.slice(Math.max(0, r.windows.length - room));
    this.fresh = Math.min(r.fresh, this.ring.length);
    this.drift = r.drift;
    this.attemptedAt = r.attemptedAt;
    for (const [name, until] of Object.entries(r.guards)) lruGet(this.sensors, name, () => newSensor(until), MAX_SENSORS);
  }

  /** Waiting windows at least guardMs older than `now` enter the ring. */
  private promote(s: SensorState, now: number): void {
    while (s.waiting.length && s.waiting[0].tsLast <= now - this.cfg.guardMs) {
      const w = s.waiting.shift()!;
      this.waitingCount--;
      this.push(w);
    }
  }

  private push(w: StoredWindow): void {
    if (!this.makeRoom()) return;
    this.ring.push(w);
    this.fresh++;
    this.counts.entered++;
    this.version++;
  }

  /** Make room for one more window by evicting the oldest entered one; false when none is left to evict. */
  private makeRoom(): boolean {
    if (this.held < this.capacity) return true;
    if (!this.ring.length) return false;
    this.ring.shift();
    return true;
  }

  /**
   * Hold a window aside for the level seed: in place of the sensor's oldest once it holds `levelCap` (or when all
   * sensors hold `asideCap`), else only in free room (`roomHeld`: the window already has room, as a waiting one).
   */
  private holdAside(s: SensorState, w: () => StoredWindow, roomHeld = false): void {
    if (this.levelCap < 1) return;
    if (s.aside.length >= this.levelCap || (this.asideCount >= this.asideCap && s.aside.length)) {
      s.aside.shift();
      s.aside.push(w());
      return;
    }
    if (this.asideCount >= this.asideCap || (!roomHeld && this.held >= this.capacity)) return;
    s.aside.push(w());
    this.asideCount++;
  }

  private dropAside(s: SensorState): void {
    this.asideCount -= s.aside.length;
    s.aside.length = 0;
  }

  private dropWaiting(s: SensorState): void {
    this.waitingCount -= s.waiting.length;
    s.waiting.length = 0;
  }

  private forget(s: SensorState): void {
    this.dropWaiting(s);
    this.dropAside(s);
    this.canaries.forget(s);
  }
}
