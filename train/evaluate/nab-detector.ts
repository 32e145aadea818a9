/** vigil's detector on NAB (placeholder until train/index.ts lands; replaced in the next commit). */
import type { NabRunOptions } from '../../runtime/evaluate/cli.ts';

/** Run vigil over the corpus and return the results folder. */
export async function runNabDetector(o: NabRunOptions): Promise<string> {
  throw new Error(`vigil NAB detector not built yet (corpus ${o.corpusRoot})`);
}
