/**
 * The reservoir's canaries (reservoir.ts): the windows of alerts, which `vigil adapt` must still flag after it
 * fine-tunes. While an alert of a sensor is open its anomalous windows are collected, its first `canaryWindows`; when
 * it closes they are kept only when its peak reached `canaryMinPeak` x its threshold (marginal alerts are what drift
 * raises), the newest `canaryAlerts` alerts. Canaries share the reservoir's budget: each window collected takes room
 * as any other does, and a kept alert evicts the oldest entered windows it needs room for.
 */
import type { Detection } from '../stream/types.ts';
import type { Scaler } from '../scaling/scaler.ts';
import type { ReservoirConfig } from './config.ts';
import { storedWindow, type StoredCanary } from './reservoir-file.ts';

/** A sensor's alert being collected, if one is open, and its peak score as a multiple of its threshold. */
export interface CanaryWatch {
  canary?: StoredCanary;
  peak: number;
  /** Its open alert was released by an operator (`release`): not collected again until it closes. */
  released?: boolean;
}

/** What the canaries ask of the reservoir that holds them. */
export interface CanaryRoom {
  /** Make room for one more window by evicting the oldest entered one; false when none is left to evict. */
  makeRoom(): boolean;
  /** Evict the oldest entered windows until `windows` more fit the budget (or none is left). */
  fit(windows: number): void;
  /** Something the file holds changed. */
  changed(): void;
}

/** The canaries of one reservoir: the alerts kept, and the windows held in them. */
export class Canaries {
  private kept: StoredCanary[] = [];
  /** Windows held in canaries, of open and of kept alerts. */
  count = 0;

  constructor(
    private readonly cfg: ReservoirConfig,
    private readonly room: CanaryRoom,
  ) {}

  /** Feed a detection of an incident of sensor `s` (flagged or in alert); `scaler` is its window's. */
  collect(s: CanaryWatch, d: Detection, scaler: Scaler): void {
    const v = d.verdict;
    if (this.cfg.canaryAlerts === 0) return;
    if (s.released) {
      if (!d.alertOpen) s.released = false;
      return;
    }
    if (d.alert?.type === 'open' || (d.alertOpen && !s.canary)) {
      s.canary = { sensor: v.sensor, from: v.tsLast, to: null, windows: [] };
      s.peak = 0;
    }
    const c = s.canary;
    if (!c) return;
    if (v.threshold > 0) s.peak = Math.max(s.peak, v.score / v.threshold);
    if (v.anomaly && c.windows.length < this.cfg.canaryWindows && this.room.makeRoom()) {
      c.windows.push(storedWindow(d, scaler));
      this.count++;
      this.room.changed();
    }
    if (d.alert?.type === 'close' || !d.alertOpen) {
      s.canary = undefined;
      c.to = v.tsLast;
      this.count -= c.windows.length;
      if (c.windows.length && s.peak >= this.cfg.canaryMinPeak) this.keep(c);
    }
  }

  /** Keep the closed alerts of a file (each cut to `canaryWindows`); open ones there are not kept. */
  restore(canaries: StoredCanary[]): void {
    // Canaries turned off since the save (canaryAlerts 0): none kept, and the reservoir's windows restored without them.
    if (this.cfg.canaryAlerts === 0) return;
    for (const c of canaries.filter((c) => c.to !== null)) this.keep({ ...c, windows: c.windows.slice(0, this.cfg.canaryWindows) });
  }

  /** What a file holds: the kept alerts, then the open ones of `sensors` that would be kept if they closed now. */
  snapshot(sensors: Iterable<CanaryWatch>): StoredCanary[] {
    const open = [...sensors].flatMap((s) => (s.canary && s.canary.windows.length && s.peak >= this.cfg.canaryMinPeak ? [s.canary] : []));
    return [...this.kept, ...open];
  }

  /**
   * Drop the canaries of `sensor`: its kept alerts, and the one `watch` is collecting (not collected again until it
   * closes). An operator's word, after looking, that they were false alarms (release-canaries.ts): a canary must stay
   * flagged by every adaptation, so one false alert would otherwise block adaptation until newer alerts push it out.
   */
  release(sensor: string, watch: CanaryWatch | undefined): StoredCanary[] {
    const gone = this.kept.filter((c) => c.sensor === sensor);
    this.kept = this.kept.filter((c) => c.sensor !== sensor);
    if (watch?.canary) {
      gone.push(watch.canary);
      watch.canary = undefined;
      watch.released = true;
    }
    for (const c of gone) this.count -= c.windows.length;
    if (gone.length) this.room.changed();
    return gone;
  }

  /** A sensor forgotten: the windows of its open alert are no longer held. */
  forget(s: CanaryWatch): void {
    if (s.canary) this.count -= s.canary.windows.length;
  }

  /** Keep a closed alert's windows, dropping the oldest alerts beyond `canaryAlerts`. */
  private keep(c: StoredCanary): void {
    while (this.kept.length >= this.cfg.canaryAlerts) this.count -= this.kept.shift()!.windows.length;
    this.room.fit(c.windows.length);
    this.kept.push(c);
    this.count += c.windows.length;
    this.room.changed();
  }
}
