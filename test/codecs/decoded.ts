/** A codec test's view of a decode: the readings it must have accepted, or the rejection it must have made. */
import { isRejected, type DecodeResult } from '../../runtime/codecs/index.ts';
import type { Reading, Rejected } from '../../runtime/stream/types.ts';

/** The readings of `r`; throws with the reason when the codec rejected the message. */
export const ok = (r: DecodeResult): Reading[] => {
  if (isRejected(r)) throw new Error(`rejected: ${r.reason}: ${r.detail}`);
  return r;
};

/** The rejection of `r`; throws with the readings when the codec accepted the message. */
export const rej = (r: DecodeResult): Rejected => {
  if (!isRejected(r)) throw new Error(`expected a rejection, got ${JSON.stringify(r)}`);
  return r;
};
