/**
 * The watch after an adapted model is swapped in: its flag rate must stay in the band of swap-watch.ts, but windows
 * it flags that the previous model flags too (second-opinion.ts) do not count. Flagged windows are sampled as they
 * come (a uniform sample of at most `SAMPLE` since the last question); only when the rate would leave the band is
 * the previous model asked about the sample, and the share it flags too excuses that share of the windows flagged
 * since the last question. A quiet swap costs nothing; a real fault after a swap is flagged by both models and keeps
 * the adapted one; a regression (windows only the adapted model flags) still rolls it back. Decides once.
 */
import { mulberry32 } from '../util/prng.ts';
import type { Detection } from '../stream/types.ts';
import type { Scaler } from '../scaling/scaler.ts';
import type { RollbackConfig } from './config.ts';
import { storedWindow } from './reservoir-file.ts';
import type { PreviousModel, Suspect } from './second-opinion.ts';
import { SwapWatch, type WatchVerdict } from './swap-watch.ts';

/** Open the previous model (at the first question). */
export type OpenPrevious = () => Promise<PreviousModel>;

/** The final verdict of a watch, with a sentence on the second opinion. */
export type WatchDecision = Exclude<WatchVerdict, { kind: 'watching' }> & { opinion: string };

/** Flagged windows asked about per question, at most. */
const SAMPLE = 64;

/** Watches one swap; calls `decide` once. */
export class RollbackWatch {
  private readonly watch: SwapWatch;
  private sample: Suspect[] = [];
  /** Flagged since the last question (the sample is drawn from them). */
  private pending = 0;
  private readonly random = mulberry32(15);
  private previous: Promise<PreviousModel> | undefined;
  private checking: Promise<void> | undefined;
  private done = false;
  private asked = 0;
  private agreed = 0;
  private version = '';

  constructor(
    before: number,
    cfg: RollbackConfig,
    /** The previous model, or why there is none (then the flag rate alone decides). */
    private open: OpenPrevious | string,
    private readonly decide: (d: WatchDecision) => void,
  ) {
    this.watch = new SwapWatch(before, cfg);
  }

  /** Largest share flagged after the swap that stays in the band. */
  get limit(): number {
    return this.watch.limit;
  }

  /** Whether the previous model is being asked now. */
  get busy(): boolean {
    return this.checking !== undefined;
  }

  /** Feed one detection after the swap; `scaler` scaled its window, `staticBar` is the serving card's static threshold. */
  push(d: Detection, scaler: Scaler, staticBar: number): void {
    if (this.done) return;
    const v = d.verdict;
    if (v.anomaly && typeof this.open !== 'string') {
      // Uniform sample of the flagged windows since the last question (reservoir sampling).
      const j = this.pending < SAMPLE ? this.pending : Math.floor(this.random() * (this.pending + 1));
      if (j < SAMPLE) this.sample[j] = { window: storedWindow(d, scaler), bar: staticBar > 0 ? v.threshold / staticBar : 1 };
      this.pending++;
    }
    this.settle(this.watch.push(v.anomaly));
  }

  /** Resolves once no question is being asked. */
  async idle(): Promise<void> {
    while (this.checking) await this.checking;
  }

  /** End the watch undecided (the runtime stops): close the previous model. */
  async close(): Promise<void> {
    this.done = true;
    await this.idle();
    await this.release();
  }

  private settle(w: WatchVerdict): void {
    if (w.kind === 'watching' || this.checking || this.done) return;
    if (w.kind === 'rollback' && this.sample.length && typeof this.open !== 'string') {
      // ask() clears `checking` itself before it settles again (which may ask the next question).
      this.checking = this.ask(this.open);
      return;
    }
    this.done = true;
    this.decide({ ...w, opinion: this.sentence() });
    void this.release();
  }

  private async ask(open: OpenPrevious): Promise<void> {
    const sample = this.sample;
    const pending = this.pending;
    this.sample = [];
    this.pending = 0;
    let excuse = 0;
    try {
      this.previous ??= open();
      const model = await this.previous;
      const agrees = await model.judge(sample);
      const k = agrees.filter(Boolean).length;
      this.version = model.version;
      this.asked += sample.length;
      this.agreed += k;
      excuse = Math.round((k / sample.length) * pending);
    } catch (err) {
      this.open = `the previous model could not be asked (${(err as Error).message})`;
    }
    this.checking = undefined;
    this.settle(this.watch.excuse(excuse));
  }

  private async release(): Promise<void> {
    const p = this.previous;
    this.previous = undefined;
    await p?.then((m) => m.close(), () => {});
  }

  private sentence(): string {
    const failed = typeof this.open === 'string' ? this.open : '';
    if (!this.asked) return failed || 'the previous model was not asked (the rate stayed in its band)';
    const excused = this.watch.excused;
    return `version ${this.version} flags ${this.agreed} of ${this.asked} sampled flagged windows too: ${excused} flagged windows excused as a change in the data${failed ? `; then ${failed}` : ''}`;
  }
}
