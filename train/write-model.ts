/**
 * Put a trained model's two files in place so that a kill at any moment leaves a loadable pair: the previous
 * model stays whole until the new one is complete, and the switch is one rename of the card.
 *
 * 1. the new .onnx is written (temp + rename) under a staging name `NAME.<sha12>.onnx`;
 * 2. a card naming that staging file replaces NAME.json: from here the new model is live and whole;
 * 3. NAME.onnx is replaced (temp + rename); the staged card does not read it;
 * 4. the final card naming NAME.onnx replaces NAME.json; 5. staging files are removed.
 * Before 2 the old card still names the old, untouched NAME.onnx; between 2 and 4 the card names the staging
 * file, which stays until 5. The loader follows the card's `onnx.file`, so every state loads.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ModelCard } from '@vigil/runtime';
import { writeFileAtomic } from '@vigil/runtime/util/atomic-write.ts';

/** The steps, in order, named for `onStep`. */
export const WRITE_STEPS = ['staged-onnx', 'staged-card', 'onnx', 'card', 'cleaned'] as const;

/** Card text as written. */
function cardText(card: ModelCard): string {
  return `${JSON.stringify(card, null, 2)}\n`;
}

/**
 * Write `outBase.onnx` and `outBase.json` (card with `onnx.file` = NAME.onnx) crash-consistently.
 * `onStep` runs after each step (tests stop there to stand for a kill).
 */
export function writeModelFiles(outBase: string, onnx: Uint8Array, card: ModelCard, onStep?: (step: (typeof WRITE_STEPS)[number]) => void): void {
  const dir = dirname(outBase);
  const name = basename(outBase);
  const staged = `${name}.${card.onnx.sha256.slice(0, 12)}.onnx`;
  writeFileAtomic(join(dir, staged), onnx);
  onStep?.('staged-onnx');
  writeFileAtomic(`${outBase}.json`, cardText({ ...card, onnx: { ...card.onnx, file: staged } }));
  onStep?.('staged-card');
  writeFileAtomic(`${outBase}.onnx`, onnx);
  onStep?.('onnx');
  writeFileAtomic(`${outBase}.json`, cardText({ ...card, onnx: { ...card.onnx, file: `${name}.onnx` } }));
  onStep?.('card');
  const stagedName = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[0-9a-f]{12}\\.onnx$`);
  for (const f of readdirSync(dir)) {
    if (stagedName.test(f)) unlinkSync(join(dir, f));
  }
  onStep?.('cleaned');
}
