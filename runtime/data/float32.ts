/**
 * The range readings must fit: windows, scalers and models compute in float32, so a finite double beyond it
 * (`4e38`, `1e308`) would become Infinity there and every window holding it would score NaN. CSV readers and
 * payload codecs both refuse such values with this one rule.
 */

/** Largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Whether `v` is a finite number float32 can hold: it rounds to a finite float32. FLT_MAX as C and numpy print it
 * (`3.40282347e+38`, `3.4028235e38`) lies a little above FLOAT32_MAX as a double yet stores as FLOAT32_MAX.
 */
export function isFloat32(v: number): boolean {
  return Number.isFinite(Math.fround(v));
}

/** Why a number is not one, for messages: names the range. */
export function float32RangeText(): string {
  return `beyond the float32 range (|x| <= ${FLOAT32_MAX.toPrecision(5)}) the model computes in`;
}
