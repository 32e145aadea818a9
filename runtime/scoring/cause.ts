/**
 * What a window shows when one of the card's checks says more than the model's score: a stuck sensor (a watched
 * channel held exactly still over the window: flatline.ts, whatever else scored it), the inputs' spread (channels
 * that roughened gave the window its score: spread.ts) or the residual memory (a small shift that persisted gave
 * it: residual-memory.ts). Each check marks the windows it explains in its batch's `causes` codes; an alert
 * explained by such a window carries the cause (`AlertEvent.cause`), so an operator reads "flow stuck" or
 * "vibration roughened" rather than only a score over a bar.
 */
import type { BatchScores } from './reconstruction.ts';

/** The causes, by the code a batch stores (0: the model's own statistic, nothing more to say). */
export const CAUSES = ['memory', 'spread', 'stuck'] as const;
/** A cause a check can give a window. */
export type Cause = (typeof CAUSES)[number];

/** How an operator reads each cause (the dashboard, `vigil alerts`, `vigil score`). */
export const CAUSE_TEXT: Record<Cause, string> = {
  memory: 'a persistent shift (residual memory)',
  spread: 'a roughened signal (row-to-row spread)',
  stuck: 'a stuck sensor (holding exactly still)',
};

/** A cause in words; one this version does not know (from a newer producer's alert) as it came. */
export function causeText(cause: string): string {
  return (CAUSE_TEXT as Record<string, string>)[cause] ?? cause;
}

/** Mark window i of a batch of n with `cause` (the codes array is made on the first mark; a later mark wins). */
export function markCause(scored: BatchScores, i: number, n: number, cause: Cause): void {
  (scored.causes ??= new Uint8Array(n))[i] = CAUSES.indexOf(cause) + 1;
}

/** The cause marked on window i, or undefined when none was. */
export function causeAt(codes: Uint8Array | undefined, i: number): Cause | undefined {
  const code = codes ? codes[i] : 0;
  return code > 0 ? CAUSES[code - 1] : undefined;
}
