/** A fixed threshold, by default the card's calibration on training errors. */
import { z } from 'zod';
import type { Threshold, ThresholdState } from './threshold.ts';

/** Config: `{ kind: 'static', value? }`; `value` defaults to the card's static calibration. */
export const StaticConfigSchema = z.object({ kind: z.literal('static'), value: z.number().positive().optional() }).strict();

/** Flags any score above a fixed level; never learns. */
export class StaticThreshold implements Threshold {
  readonly kind = 'static';
  constructor(private readonly value: number) {
    if (!(value > 0) || !Number.isFinite(value)) throw new Error(`static threshold value must be a finite number > 0, got ${value}`);
  }
  current(): number {
    return this.value;
  }
  isAnomaly(score: number): boolean {
    return score > this.value;
  }
  update(): void {}
  toJSON(): ThresholdState {
    return { kind: this.kind, config: { value: this.value }, state: {} };
  }
}
