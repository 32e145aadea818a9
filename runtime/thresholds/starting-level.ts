/**
 * The bar a model starts at, in words: the start banner (runtime/cli/run.ts) and a hot reload's log line
 * (runtime/ops/serving.ts) say it alike, so a swapped-in card's level is seen before its first alert.
 */
import type { ModelCard } from '../model/card.ts';
import { formatShort } from '../util/format-number.ts';
import { createThreshold } from './factory.ts';

/** What a bar starts at: the config that makes it, its level from the card, and the two in words. */
export interface StartingBar {
  spec: unknown;
  level?: number;
  text: string;
}

/** The bar `threshold` (config; the card's default when unset) starts at on `card`. */
export function startingBar(threshold: unknown, card: ModelCard): StartingBar {
  const spec = threshold ?? card.threshold.default;
  try {
    const level = createThreshold(spec, card).current();
    // A static bar stays there; an adaptive one is each sensor's own, from there or its saved state.
    const how = (spec as { kind?: string }).kind === 'static' ? `at ${formatShort(level)}` : `(card level ${formatShort(level)}; each sensor adapts its own)`;
    return { spec, level, text: `${JSON.stringify(spec)} ${how}` };
  } catch {
    return { spec, text: JSON.stringify(spec) }; // the runtime refuses a bad threshold config on its own, with its own message
  }
}
