/** The spread's calibration at training (runtime/scoring/spread.ts): its median, its own limit, the scale onto the bar. */
import { judgedChannels, spreadScale, spreadStatistics, type Spread } from '@vigil/runtime/scoring/spread.ts';
import { quantile } from '@vigil/runtime/util/quantile.ts';
import { calibrateStatic, DEFAULT_CALIBRATION } from './calibrate.ts';

/**
 * The spread's limit is set at this share of the bar's risk: it alerts only on a roughening well past anything the
 * training windows showed. A second statistic at the bar's own risk doubles the chances of a false alarm; on the
 * quality bench (bench/results/quality/VARIANTS.md "Spread") a tenth kept Tennessee Eastman's faults 19 and
 * 20 and cost the pumps, whose operating point ramps roughen the inputs, about half the false alarms the full risk did.
 */
export const SPREAD_RISK_SHARE = 0.1;

/**
 * The spread's calibration (runtime/scoring/spread.ts): the statistic of `differences` (every window the model was
 * given) against `reference`, its median, its own static limit at SPREAD_RISK_SHARE of the bar's risk, and the scale
 * that maps that limit onto the bar. Undefined when the inputs did not move or the limit does not lie clearly above
 * the median (nothing to compare with).
 */
export function fitSpread(reference: number[], differences: Float64Array, bar: number, risk: number, source: string): Spread | undefined {
  const channels = judgedChannels(reference);
  if (channels.length === 0) return undefined;
  const s = spreadStatistics(differences, reference, channels);
  if (s.length < 2) return undefined;
  const center = quantile(s, 0.5);
  const limit = calibrateStatic(s, { ...DEFAULT_CALIBRATION, risk: SPREAD_RISK_SHARE * risk });
  // Inputs that (nearly) never moved leave no typical motion to compare with: no spread rather than a hair trigger.
  if (!(center > 0) || !(limit.value > center * 1.001) || !Number.isFinite(limit.value)) return undefined;
  return {
    reference, channels, center, limit: limit.value, scale: spreadScale({ limit: limit.value, center }, bar),
    method: `mean square successive difference of each channel's input over the window, over its mean on the same windows, averaged over the ${channels.length} of ${reference.length} channels that moved; median ${center.toPrecision(4)} and limit ${limit.value.toPrecision(4)} on ${s.length} ${source} windows (${limit.method}, ${SPREAD_RISK_SHARE} of the bar's risk), mapped so the limit lands on the bar`,
  };
}
