/**
 * `vigil adapt --reservoir FILE`: the recent windows and the canaries from the reservoir a running `vigil run`
 * keeps (runtime/adapt/reservoir.ts; format in runtime/adapt/reservoir-file.ts) instead of a CSV. Its windows are in
 * original units and are scaled here with the serving model's scaler, like every other set adapt reads. Recent
 * windows are split in time as a CSV's are: the latest `holdout` fraction (by each window's last row) is held back.
 * Each kept alert is one canary.
 */
import { existsSync } from 'node:fs';
import type { ModelCard } from '@vigil/runtime';
import { applyScaler } from '@vigil/runtime/scaling/scaler.ts';
import { readReservoir, type StoredWindow } from '@vigil/runtime/adapt/reservoir-file.ts';
import type { AdaptWindows, CanaryEvent, TimedWindows } from './window-sets.ts';

function timed(card: ModelCard, windows: StoredWindow[]): TimedWindows {
  const per = card.window * card.channels.length;
  const data = new Float32Array(windows.length * per);
  windows.forEach((w, i) => data.set(w.data, i * per));
  return { data: applyScaler(card.scaler, data), count: windows.length, ends: Float64Array.from(windows, (w) => w.tsLast), sensors: windows.map((w) => w.sensor) };
}

/** Recent windows (split in time) and canaries from a reservoir file; throws when it does not fit the model. */
export function reservoirWindows(card: ModelCard, file: string, holdout: number): { recent: AdaptWindows['recent']; canaries?: NonNullable<AdaptWindows['canaries']> } {
  if (!existsSync(file)) throw new Error(`--reservoir ${file}: file not found; expected the reservoir file vigil run keeps (adapt.reservoir.file)`);
  const r = readReservoir(file);
  if (r.model.window !== card.window || r.model.channels.join(',') !== card.channels.join(',')) {
    throw new Error(`--reservoir ${file}: its windows are ${r.model.window} x [${r.model.channels.join(', ')}] (model '${r.model.name}'); model '${card.name}' takes ${card.window} x [${card.channels.join(', ')}]`);
  }
  const windows = r.windows.slice().sort((a, b) => a.tsLast - b.tsLast);
  const split = Math.round(windows.length * (1 - holdout));
  if (split < 1 || split >= windows.length) {
    throw new Error(`--reservoir ${file}: ${windows.length} windows leave none to fine-tune on or none to hold back at --holdout ${holdout}; let vigil run collect more (adapt.minNewWindows)`);
  }
  const recent = {
    file, rows: windows.length, from: windows[0].tsFirst, to: windows[windows.length - 1].tsLast,
    fit: timed(card, windows.slice(0, split)), heldOut: timed(card, windows.slice(split)),
  };
  const events: CanaryEvent[] = r.canaries.filter((c) => c.windows.length > 0).map((c) => ({ from: c.from, to: c.to ?? c.windows[c.windows.length - 1].tsLast, windows: timed(card, c.windows) }));
  return { recent, canaries: events.length ? { file, events } : undefined };
}
