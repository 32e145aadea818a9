/** What `vigil adapt` takes from the card it adapts when an option is left out (train/adapt/adapt.ts `resolveAdaptOptions`). */
import { describe, expect, it } from 'vitest';
import type { ModelCard } from '../../runtime/model/card.ts';
import { resolveAdaptOptions } from '../../train/adapt/adapt.ts';
import { tinyCard } from '../stream/helpers.ts';

const trainedWith = (training: Record<string, unknown>): ModelCard => ({ ...structuredClone(tinyCard), training: { ...tinyCard.training, ...training } });

describe('vigil adapt options', () => {
  it('reads the new data with the fill policy the model was trained with (a probe: a model trained with --fill ffill failed on the same historian export)', () => {
    expect(resolveAdaptOptions({ model: 'm' }, trainedWith({ fill: 'ffill' })).fill).toBe('ffill');
    expect(resolveAdaptOptions({ model: 'm', fill: 'zero' }, trainedWith({ fill: 'ffill' })).fill).toBe('zero');
    // A card that does not say (older), or says something unknown: error, the default it always had.
    expect(resolveAdaptOptions({ model: 'm' }, trainedWith({ fill: undefined })).fill).toBe('error');
    expect(resolveAdaptOptions({ model: 'm' }, trainedWith({ fill: 'guess' })).fill).toBe('error');
    expect(() => resolveAdaptOptions({ model: 'm', fill: 'guess' as never }, trainedWith({}))).toThrow(/--fill must be error, ffill or zero, got 'guess'/);
  });
});
