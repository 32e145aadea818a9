/**
 * Peaks-over-threshold state shared by SPOT and DSPOT (Siffer et al., KDD 2017): calibration on the first
 * `nInit` values, the initial threshold t at quantile `level`, the excesses over t (the most recent
 * `maxPeaks` of them, so memory stays bounded), the GPD fit and the extreme quantile z_q at risk q.
 */
import { fitGpd, gpdQuantile } from './gpd.ts';
import { readBool, jsonNumber, readNumber, readNumberOrNull, readNumbers } from './options.ts';

/** POT parameters. */
export interface PotParams {
  q: number;
  nInit: number;
  level: number;
  maxPeaks: number;
  /** Runs declustering: exceedances fewer than this many observations apart form one cluster (0: off). */
  decluster: number;
  /** Peaks needed before the GPD shape is fitted; with fewer the tail is taken as exponential (shape 0). */
  minShapePeaks: number;
}

/** Calibration buffer, then peaks, fit and z_q. */
export class PotTail {
  private init: number[] = [];
  private peaks: Float64Array;
  private head = 0;
  private held = 0;
  /** Initial threshold t (NaN until calibrated). */
  t = NaN;
  /** Extreme quantile z_q: the alarm level (NaN until calibrated). */
  zq = NaN;
  private gamma = 0;
  private sigma = 0;
  /** Observations counted (n) and peaks among them (N_t), since calibration began. */
  private n = 0;
  private nPeaks = 0;
  /** Largest excess of the open cluster (NaN when none) and observations since its last exceedance. */
  private clusterMax = NaN;
  private gap = 0;

  constructor(private readonly p: PotParams) {
    this.peaks = new Float64Array(p.maxPeaks);
  }

  /** Mean of the calibration values so far (NaN when none). */
  initMean(): number {
    let sum = 0;
    for (const v of this.init) sum += v;
    return sum / this.init.length;
  }

  /** Calibration values so far. */
  get initCount(): number {
    return this.init.length;
  }

  /** Whether calibration is complete. */
  get calibrated(): boolean {
    return Number.isFinite(this.t);
  }

  /** Feed one calibration value; calibrates when `nInit` have arrived. */
  calibrate(x: number): void {
    this.init.push(x);
    if (this.init.length < this.p.nInit) return;
    const sorted = Float64Array.from(this.init).sort();
    this.t = sorted[Math.min(sorted.length - 1, Math.ceil(this.p.level * sorted.length) - 1)];
    const init = this.init;
    this.init = [];
    for (const v of init) this.observe(v);
    this.commit();
    this.refit();
  }

  /** Learn one value after calibration; a finished cluster of excesses over t is a new peak and triggers a refit. */
  learn(x: number): void {
    if (this.observe(x)) this.refit();
  }

  /**
   * Count one observation; returns true when a peak was committed. Scores of overlapping windows exceed t in
   * runs: counting each as a peak would fit the tail of runs, not of events, and a level shift sitting just
   * under z_q would feed it dozens of peaks and inflate it (runs declustering, Coles 2001 section 5.3.2).
   */
  private observe(x: number): boolean {
    this.n++;
    if (x > this.t) {
      this.clusterMax = Number.isNaN(this.clusterMax) ? x - this.t : Math.max(this.clusterMax, x - this.t);
      this.gap = 0;
      if (this.p.decluster === 0) return this.commit();
      return false;
    }
    if (Number.isNaN(this.clusterMax)) return false;
    return ++this.gap >= this.p.decluster ? this.commit() : false;
  }

  private commit(): boolean {
    if (Number.isNaN(this.clusterMax)) return false;
    this.pushPeak(this.clusterMax);
    this.nPeaks++;
    this.clusterMax = NaN;
    this.gap = 0;
    return true;
  }

  private pushPeak(y: number): void {
    this.peaks[this.head] = y;
    this.head = (this.head + 1) % this.peaks.length;
    if (this.held < this.peaks.length) this.held++;
  }

  private refit(): void {
    if (this.held === 0) {
      // Constant calibration data: nothing above t has been seen, so anything above t is extreme.
      this.gamma = 0;
      this.sigma = 0;
      this.zq = this.t;
      return;
    }
    const peaks = this.held === this.peaks.length ? this.peaks : this.peaks.subarray(0, this.held);
    // The shape of a tail is not identifiable from a handful of peaks: one unlucky draw gives gamma 0.5 and a
    // bar ten times too high. Below minShapePeaks the exponential tail (the MLE with gamma fixed at 0) is used.
    const fit = this.held >= this.p.minShapePeaks ? fitGpd(peaks) : { gamma: 0, sigma: peaks.reduce((a, b) => a + b, 0) / this.held };
    this.gamma = fit.gamma;
    this.sigma = fit.sigma;
    this.zq = Math.max(this.t, gpdQuantile(this.t, fit, this.p.q, this.n, this.nPeaks));
  }

  /** Serialisable state. */
  toJSON(): Record<string, unknown> {
    // Peaks in storage order with the write position: the fit sums in storage order, so keeping it makes a
    // restored instance refit to the same bits.
    const peaks = Array.from(this.peaks.subarray(0, this.held));
    return { calibrated: this.calibrated, init: this.init.slice(), t: jsonNumber(this.t), zq: jsonNumber(this.zq), gamma: this.gamma, sigma: this.sigma, n: this.n, nPeaks: this.nPeaks, peaks, head: this.head, clusterMax: jsonNumber(this.clusterMax), gap: this.gap };
  }

  /** Restore from `toJSON()` output (validated; throws a message naming the bad field). */
  restore(s: Record<string, unknown>): void {
    const calibrated = readBool(s, 'calibrated');
    this.init = readNumbers(s, 'init');
    if (this.init.length >= this.p.nInit) throw new Error(`threshold state: init holds ${this.init.length} values; expected fewer than nInit ${this.p.nInit}`);
    const peaks = readNumbers(s, 'peaks');
    if (peaks.length > this.peaks.length) throw new Error(`threshold state: ${peaks.length} peaks; expected at most maxPeaks ${this.peaks.length}`);
    this.peaks.fill(0);
    this.peaks.set(peaks);
    this.held = peaks.length;
    this.head = readNumber(s, 'head');
    if (!Number.isInteger(this.head) || this.head < 0 || this.head >= this.peaks.length || (this.held < this.peaks.length && this.head !== this.held % this.peaks.length)) {
      throw new Error(`threshold state: head ${this.head} does not fit ${this.held} peaks of ${this.peaks.length}`);
    }
    this.t = calibrated ? readNumber(s, 't') : NaN;
    this.zq = calibrated ? readNumberOrNull(s, 'zq') : NaN;
    this.gamma = readNumber(s, 'gamma');
    this.sigma = readNumber(s, 'sigma');
    this.n = readNumber(s, 'n');
    this.nPeaks = readNumber(s, 'nPeaks');
    this.clusterMax = readNumberOrNull(s, 'clusterMax');
    this.gap = readNumber(s, 'gap');
  }
}
