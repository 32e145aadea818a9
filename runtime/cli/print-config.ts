/**
 * `vigil run --print-config`: the config as the runtime will use it, secrets hidden, as YAML that can be fed
 * back with `--config`. Every default is shown (the schema holds them all), codec options that do not apply to
 * the chosen codec are left out, and what comes from the model card (the default threshold) is said in a comment. The model is loaded and checked so a wrong path shows here,
 * not only at start, and so are `source.channels` against its channels and the broker's TLS files.
 */
import { stringify } from 'yaml';
import { redactConfig } from '../config/load.ts';
import type { RunConfig } from '../config/schema.ts';
import { loadModel } from '../model/load.ts';
import { clientOptions } from '../mqtt/connect.ts';
import { checkChannelPaths } from '../codecs/channel-paths.ts';

/** The printable YAML and problems worth telling the user (on stderr) before they start the runtime. */
export function printableConfig(cfg: RunConfig): { text: string; warnings: string[] } {
  const shown = redactConfig(cfg);
  const notes: string[] = [];
  const warnings: string[] = [];

  if (cfg.window.gapResetMs === 'never') notes.push('window.gapResetMs: never, so windows span gaps in the data as if their rows were consecutive');

  const codec: Partial<RunConfig['source']['codec']> = shown.source.codec;
  if (codec.kind !== 'csv') delete codec.delimiter;
  if (codec.kind !== 'number' && codec.kind !== 'sparkplug') delete codec.joinToleranceMs;
  if (codec.kind !== 'sparkplug') delete codec.rebirthIntervalMs;

  try {
    const { card, cardPath } = loadModel(cfg.model);
    notes.unshift(`model: ${card.name}@${card.version}, window ${card.window} x ${card.channels.length} [${card.channels.join(', ')}] (${cardPath})`);
    if (!cfg.threshold) notes.push(`threshold: not set, so the model card's applies: ${JSON.stringify(card.threshold.default)}`);
    // Checked against the card as the codec does at start (a probe: a misspelt channel passed here, exit 0, then vigil run stopped).
    try {
      checkChannelPaths(cfg.source.channels, card.channels);
    } catch (err) {
      warnings.push(`${(err as Error).message}; vigil run would stop at start`);
    }
  } catch (err) {
    warnings.push(`model ${cfg.model}: ${(err as Error).message}; vigil run would stop at start`);
    if (!cfg.threshold) notes.push("threshold: not set, so the model card's default applies");
  }

  // The broker's TLS files, read and checked as the connection will (a probe: a missing CA file passed here).
  try {
    clientOptions(cfg.broker);
  } catch (err) {
    warnings.push(`${(err as Error).message}; vigil run would stop at start`);
  }

  const header = ['# vigil run: resolved config (defaults filled in, secrets hidden); usable as --config', ...notes.map((n) => `# ${n}`)];
  return { text: `${header.join('\n')}\n${stringify(shown)}`, warnings };
}
