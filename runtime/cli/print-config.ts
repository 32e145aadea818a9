/**
 * `vigil run --print-config`: the config as the runtime will use it, secrets hidden, as YAML that can be fed
 * back with `--config`. Every default is shown (the schema holds them all), codec options that do not apply to
 * the chosen codec are left out, and what comes from the model card (the default threshold) is said in a comment. The model is loaded and checked so a wrong path shows here,
 * not only at start, and so are `source.channels` against its channels and the broker's TLS files. The topic
 * warnings `vigil run` logs at start are said here too (`cautions`): vigil would start, but read topics wrongly.
 */
import { stringify } from 'yaml';
import { redactConfig } from '../config/load.ts';
import type { RunConfig } from '../config/schema.ts';
import { loadModel } from '../model/load.ts';
import { clientOptions } from '../mqtt/connect.ts';
import { checkChannelPaths } from '../codecs/channel-paths.ts';
import { compileTopicTemplate } from '../mqtt/topic-template.ts';
import { outputTopics } from '../config/gateway.ts';
import { sharedAlertTopicNote } from '../config/alerts.ts';
import { warnOfTopics } from '../ops/topic-warnings.ts';

/**
 * The printable YAML and problems worth telling the user (on stderr) before they start the runtime: `warnings` that
 * would stop it at start, `cautions` it would start with (the start-up topic warnings).
 */
export function printableConfig(cfg: RunConfig): { text: string; warnings: string[]; cautions: string[] } {
  const shown = redactConfig(cfg);
  const notes: string[] = [];
  const warnings: string[] = [];

  const shared = sharedAlertTopicNote(cfg.alerts.topic);
  if (shared) notes.push(shared);
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

  // The same check and words as at start (runtime/ops/flow.ts), collected instead of logged (a probe: omitted here).
  const cautions: string[] = [];
  const templates = cfg.source.topics.map((t) => compileTopicTemplate(t, cfg.source.sensorId));
  warnOfTopics(cfg.source, templates, { warn: (_fields, msg) => void cautions.push(msg) }, outputTopics(cfg));

  const header = ['# vigil run: resolved config (defaults filled in, secrets hidden); usable as --config', ...notes.map((n) => `# ${n}`)];
  return { text: `${header.join('\n')}\n${stringify(shown)}`, warnings, cautions };
}
