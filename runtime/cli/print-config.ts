/**
 * `vigil run --print-config`: the config as the runtime will use it, secrets hidden, as YAML that can be fed
 * back with `--config`. Defaults the schema leaves to later stages (window) are shown with their values,
 * codec options that do not apply to the chosen codec are left out, and what comes from the model card
 * (the default threshold) is said in a comment. The model is loaded and checked so a wrong path shows here,
 * not only at start.
 */
import { stringify } from 'yaml';
import { redactConfig } from '../config/load.ts';
import type { RunConfig } from '../config/schema.ts';
import { loadModel } from '../model/load.ts';
import { REORDER_DEFAULTS } from '../stream/reorder-by-sensor.ts';
import { WINDOW_DEFAULTS } from '../stream/window-by-sensor.ts';

/** The printable YAML and problems worth telling the user (on stderr) before they start the runtime. */
export function printableConfig(cfg: RunConfig): { text: string; warnings: string[] } {
  const shown = redactConfig(cfg) as Omit<RunConfig, 'window'> & { window: Record<string, unknown> };
  const notes: string[] = [];
  const warnings: string[] = [];

  const window: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...WINDOW_DEFAULTS, ...REORDER_DEFAULTS })) {
    const set = (cfg.window as Record<string, unknown>)[k];
    // Infinity cannot be written back as a config number; leaving the key out means the same.
    if (set !== undefined) window[k] = set;
    else if (typeof v !== 'number' || Number.isFinite(v)) window[k] = v;
    else notes.push(k === 'gapResetMs' ? 'window.gapResetMs: not set, so no gap in the data resets a window' : `window.${k}: not set (no limit)`);
  }
  shown.window = window;

  const codec: Partial<RunConfig['source']['codec']> = shown.source.codec;
  if (codec.kind !== 'csv') delete codec.delimiter;
  if (codec.kind !== 'number') delete codec.joinToleranceMs;
  if (codec.kind !== 'sparkplug') delete codec.rebirthIntervalMs;

  try {
    const { card, cardPath } = loadModel(cfg.model);
    notes.unshift(`model: ${card.name}@${card.version}, window ${card.window} x ${card.channels.length} [${card.channels.join(', ')}] (${cardPath})`);
    if (!cfg.threshold) notes.push(`threshold: not set, so the model card's applies: ${JSON.stringify(card.threshold.default)}`);
  } catch (err) {
    warnings.push(`model ${cfg.model}: ${(err as Error).message}; vigil run would stop at start`);
    if (!cfg.threshold) notes.push("threshold: not set, so the model card's default applies");
  }

  const header = ['# vigil run: resolved config (defaults filled in, secrets hidden); usable as --config', ...notes.map((n) => `# ${n}`)];
  return { text: `${header.join('\n')}\n${stringify(shown)}`, warnings };
}
