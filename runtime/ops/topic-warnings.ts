/**
 * What the topic templates of a config that reads fine would still get wrong, said once at start as warnings: two
 * templates naming their sensors alike, a named part the sensor ids leave out, Sparkplug subscribed at the device
 * level only, `{channel}` topics under a codec that reads whole rows, a source topic that vigil's own output topics
 * can also name (it is then not read).
 */
import type { RunConfig } from '../config/schema.ts';
import { sparkplugNodeLevelMissing, sparkplugTopic } from '../codecs/sparkplug-topics.ts';
import { sharedIdTemplates, type TopicTemplate } from '../mqtt/topic-template.ts';
import { outputFilter } from '../config/gateway.ts';

/**
 * Warn of each such problem of `source` (its topics compiled as `templates`); `outputs`: vigil's own output topic
 * templates by config key (alerts.topic, deadLetter.topic, gateway.statusTopic), which the intake never reads.
 */
export function warnOfTopics(source: RunConfig['source'], templates: TopicTemplate[], log: { warn(fields: object, msg: string): void }, outputs: Record<string, string | null> = {}): void {
  for (const t of templates) {
    // A source filter with # takes any topic under it by design; one of fixed shape should not share its topics.
    if (t.filter.includes('#')) continue;
    for (const [key, template] of Object.entries(outputs)) {
      const example = template && sharedTopic(t.filter, outputFilter(template));
      if (example) log.warn({ topic: t.template, [key]: template }, `source.topics '${t.template}' and ${key} '${template}' can name the same topics (${example}): vigil takes such a topic for its own output (any gateway's) and does not read it; give ${key} a prefix of its own`);
    }
  }
  for (const [a, b] of sharedIdTemplates(templates)) {
    log.warn({ topics: [a.template, b.template], sensorId: a.idKey }, `source.topics '${a.template}' and '${b.template}' name their sensors alike (${a.idKey}): topics that differ only in their fixed levels are one sensor; if they are different devices, give them different names, or run one vigil per layout`);
  }
  for (const t of templates) {
    // Sparkplug's message type level is left out by design: a device's BIRTH and DATA are one sensor.
    const typeLevel = sparkplugTopic(t.template)?.seg[2];
    const parts = t.leftOut.filter((p) => `{${p}}` !== typeLevel);
    if (!parts.length) continue;
    const named = [...t.template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]).filter((n) => n !== 'channel' && (parts.includes(n) || t.idKey.includes(`{${n}}`)));
    const these = parts.map((p) => `{${p}}`).join(', ');
    log.warn({ topic: t.template, sensorId: t.idKey, leftOut: parts }, `source.topics '${t.template}' names ${these}, which its sensor ids (${t.idKey}) leave out: topics that differ only there are one sensor, their readings merged into one window; if they are different devices, put ${parts.length > 1 ? 'them' : 'it'} in source.sensorId, e.g. '${named.map((n) => `{${n}}`).join('.')}'`);
  }
  const nodeLevel = source.codec.kind === 'sparkplug' ? sparkplugNodeLevelMissing(source.topics) : undefined;
  if (nodeLevel) log.warn({ topics: source.topics }, nodeLevel);
  // A {channel} topic carries one value per message, which only the number codec reads: under another codec only a
  // message whose content type chooses `number` is read, the rest are dead-lettered (a probe: all of them, unsaid).
  const kind = source.codec.kind;
  for (const t of source.topics.filter((t) => t.includes('{channel}') && kind !== 'number')) {
    log.warn({ topic: t, codec: kind }, `source.topics '${t}' names {channel} (one value per message), but source.codec.kind is ${kind}: its messages are read only when their MQTT 5 content type is text/plain${source.codec.byContentType === false ? ' (and source.codec.byContentType is off: none is)' : ''}; the rest go to the dead letters. Run one vigil with codec number for such topics`);
  }
}

/** A topic both MQTT filters match (their levels, `x` for a level both leave open), or undefined when none. */
export function sharedTopic(a: string, b: string): string | undefined {
  const x = a.split('/');
  const y = b.split('/');
  const levels: string[] = [];
  for (let i = 0; ; i++) {
    if (x[i] === '#' || y[i] === '#') return [...levels, ...(x[i] === '#' ? y : x).slice(i).map((l) => (l === '+' || l === '#' ? 'x' : l))].join('/');
    if (i >= x.length || i >= y.length) return x.length === y.length ? levels.join('/') : undefined;
    if (x[i] !== '+' && y[i] !== '+' && x[i] !== y[i]) return undefined;
    levels.push(x[i] !== '+' ? x[i] : y[i] !== '+' ? y[i] : 'x');
  }
}
