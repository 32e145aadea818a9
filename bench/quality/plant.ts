/**
 * The harder synthetic plant set (simulators/synthetic/plant-set.ts): short training, slow drift after it,
 * noisy vibration-like channels, operating-point changes, faults lasting minutes. Loaded only when the module
 * exists, so the bench runs before it lands.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Series } from '@vigil/runtime';
import type { LabelledSet } from './labelled-run.ts';

/** Where the plant set lives. */
export const PLANT_MODULE = resolve(import.meta.dirname, '../../simulators/synthetic/plant-set.ts');

/** What the plant-set module exports (its own types are not imported so this file compiles without it). */
interface PlantRunShape {
  id: string;
  train: Series;
  test: Series;
  labels: { startRow: number; endRow: number; type: string; channels: string[] }[];
}

/** The plant set as labelled runs, or undefined (with the reason) when the module is not there yet. */
export async function plantSet(options: Record<string, unknown> = {}): Promise<LabelledSet | { missing: string }> {
  if (!existsSync(PLANT_MODULE)) return { missing: `${PLANT_MODULE} does not exist yet` };
  const mod = (await import(pathToFileURL(PLANT_MODULE).href)) as { plantSet?: (o?: Record<string, unknown>) => PlantRunShape[] };
  if (typeof mod.plantSet !== 'function') return { missing: `${PLANT_MODULE} does not export plantSet()` };
  const runs = mod.plantSet(options).map((r) => ({
    id: r.id, trainKey: r.id, train: r.train, test: r.test, judgeFrom: 0,
    events: r.labels.map((l) => ({ startRow: l.startRow, endRow: l.endRow, type: l.type, channels: l.channels })),
  }));
  const rows = runs.reduce((a, r) => a + r.test.timestamps.length, 0);
  return {
    name: 'plant',
    title: 'Synthetic plant (simulators/synthetic/plant-set.ts)',
    runs,
    notes: [`${runs.length} runs, ${rows} test rows in all, ${runs.reduce((a, r) => a + r.events.length, 0)} faults; each run trained on its own short normal series.`],
  };
}
