/** The labelled sets by name, as `npm run bench:quality` and bench/quality/try-variants.ts load them. */
import type { LabelledSet } from './labelled-run.ts';
import { plantSet } from './plant.ts';
import { FAST_SET, pumpsSet } from './pumps.ts';
import { TEP_QUICK_FAULTS, tepSet } from './tep.ts';

/** Every set the quality bench knows (NAB is scored by its own runner, bench/quality/nab.ts). */
export const SETS = ['tep', 'pumps', 'fast', 'plant', 'nab'] as const;

/** A labelled set by name (`quick`: Tennessee Eastman's quick faults); undefined, with a note, when it cannot be built. */
export async function loadSet(name: string, quick: boolean, note: (l: string) => void): Promise<LabelledSet | undefined> {
  if (name === 'tep') return tepSet(quick ? { faults: TEP_QUICK_FAULTS } : {});
  if (name === 'pumps') return pumpsSet();
  if (name === 'fast') return pumpsSet(FAST_SET, 'fast');
  if (name === 'plant') {
    const p = await plantSet();
    if ('missing' in p) {
      note(`plant: skipped, ${p.missing}`);
      return undefined;
    }
    return p;
  }
  throw new Error(`unknown set '${name}'; expected one of ${SETS.join(', ')}`);
}
