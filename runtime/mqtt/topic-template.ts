/**
 * Topic templates map MQTT topics to sensor ids: `plant/{site}/{device}/telemetry` subscribes to
 * `plant/+/+/telemetry` and names the sensor from the named parts (`site.device` by default, or a `sensorId`
 * format such as `{site}-{device}`). Plain `+` wildcards capture too, so `sensors/+/data` works as is.
 * `{channel}` names the channel for one-value-per-topic codecs and is not part of the sensor id.
 * Sensor ids are validated so they can never inject wildcards or levels into alert topics.
 */
import type { TopicInfo } from '../codecs/codec.ts';
import { compileSensorIdFormat, type SensorIdFormat } from './sensor-id-format.ts';

/** Allowed sensor ids: letters, digits, `_ - . :`, starting with a letter or digit, at most 128 chars, no `..`. */
const SENSOR_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** Why a sensor id is not acceptable, or undefined when it is. */
export function sensorIdProblem(id: string): string | undefined {
  if (!SENSOR_ID.test(id)) {
    return `sensor id ${JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}...` : id)} is not allowed; expected 1-128 of A-Z a-z 0-9 _ - . : starting with a letter or digit (no + # / or spaces)`;
  }
  if (id.includes('..')) return `sensor id ${JSON.stringify(id)} contains '..'; expected no path tricks`;
  return undefined;
}

/** A compiled template. */
export interface TopicTemplate {
  /** The template as written. */
  readonly template: string;
  /** MQTT subscription filter. */
  readonly filter: string;
  /** Map a topic to its sensor (and channel), or return why it does not match. */
  match(topic: string): TopicInfo | TopicMiss;
}

/** Why a topic maps to no sensor. */
export interface TopicMiss {
  reason: 'unknown_topic' | 'bad_sensor_id';
  error: string;
}

type Segment = { kind: 'literal'; text: string } | { kind: 'named'; name: string } | { kind: 'plus' } | { kind: 'hash' };

/** Compile a template; throws with what was expected for malformed ones. */
export function compileTopicTemplate(template: string, sensorId?: string): TopicTemplate {
  if (template === '') throw new Error('topic template is empty; expected e.g. sensors/{sensor}/data or sensors/+/data');
  const segs: Segment[] = template.split('/').map((s, i, all) => {
    const named = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(s);
    if (named) return { kind: 'named', name: named[1] };
    if (s === '+') return { kind: 'plus' };
    if (s === '#') {
      if (i !== all.length - 1) throw new Error(`topic template '${template}': '#' must be the last level`);
      return { kind: 'hash' };
    }
    if (/[+#{}]/.test(s)) throw new Error(`topic template '${template}': level '${s}' mixes text and wildcards; expected a whole level {name}, + or #`);
    return { kind: 'literal', text: s };
  });
  const names = segs.flatMap((s) => (s.kind === 'named' ? [s.name] : []));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`topic template '${template}': part {${dup}} appears twice`);
  if (sensorId) {
    for (const m of sensorId.matchAll(/\{([^}]*)\}/g)) {
      if (!names.includes(m[1])) throw new Error(`sensorId format '${sensorId}' names {${m[1]}}, which topic template '${template}' does not have (has ${names.map((n) => `{${n}}`).join(', ') || 'none'})`);
    }
  }
  const anonCount = segs.filter((s) => s.kind === 'plus').length;
  const captures = names.length + anonCount;
  const idNames = names.filter((n) => n !== 'channel');
  // Ids are built so that two topics never share one (see sensor-id-format.ts); a template with no captures
  // names its one sensor after the topic itself.
  let idFormat: SensorIdFormat | undefined;
  try {
    if (sensorId) idFormat = compileSensorIdFormat(sensorId, names, anonCount);
    else if (names.includes('sensor')) idFormat = compileSensorIdFormat('{sensor}', names, anonCount);
    else if (idNames.length + anonCount > 0) idFormat = compileSensorIdFormat(undefined, idNames, anonCount);
  } catch (err) {
    throw new Error(`topic template '${template}': ${(err as Error).message}`);
  }
  const hasHash = segs.at(-1)?.kind === 'hash';
  const fixed = hasHash ? segs.length - 1 : segs.length;
  const filter = segs.map((s) => (s.kind === 'literal' ? s.text : s.kind === 'hash' ? '#' : '+')).join('/');

  return {
    template,
    filter,
    match(topic: string) {
      const levels = topic.split('/');
      if (hasHash ? levels.length < fixed : levels.length !== fixed) return { reason: 'unknown_topic', error: `topic '${topic}' does not match template '${template}'` };
      const parts: Record<string, string> = {};
      const anon: string[] = [];
      for (let i = 0; i < fixed; i++) {
        const s = segs[i];
        if (s.kind === 'literal') {
          if (levels[i] !== s.text) return { reason: 'unknown_topic', error: `topic '${topic}' does not match template '${template}'` };
        } else {
          if (levels[i] === '') {
            const what = s.kind === 'named' ? `{${s.name}}` : `'+' (level ${i + 1})`;
            return { reason: 'bad_sensor_id', error: `topic '${topic}' has an empty ${what} level; expected a name (an empty level would make ids collide, e.g. 'plant//ab' and 'plant/a/b')` };
          }
          if (s.kind === 'named') parts[s.name] = levels[i];
          else anon.push(levels[i]);
        }
      }
      let sensor: string;
      if (idFormat) {
        const built = idFormat.build(parts, anon);
        if ('error' in built) return { reason: 'bad_sensor_id', error: `topic '${topic}': ${built.error}` };
        sensor = built.id;
      } else sensor = captures ? '' : topic.replaceAll('/', '.');
      const problem = sensorIdProblem(sensor);
      if (problem) return { reason: 'bad_sensor_id', error: `${problem} (from topic '${topic}')` };
      return parts.channel !== undefined ? { sensor, channel: parts.channel } : { sensor };
    },
  };
}

/** Topics remembered by a router; a gateway sees a fixed set, so matching runs once per topic. */
const ROUTE_CACHE = 50_000;

/** Route topics through several templates (the first that matches wins), remembering recent answers. */
export function topicRouter(templates: TopicTemplate[]): (topic: string) => TopicInfo | TopicMiss {
  const cache = new Map<string, TopicInfo | TopicMiss>();
  const match = (topic: string): TopicInfo | TopicMiss => {
    let first: TopicMiss | undefined;
    for (const t of templates) {
      const r = t.match(topic);
      if (!('error' in r)) return r;
      first ??= r;
    }
    return first!;
  };
  return (topic) => {
    let r = cache.get(topic);
    if (r === undefined) {
      // Bounded: a flood of distinct (e.g. hostile) topics clears the memory instead of growing it.
      if (cache.size >= ROUTE_CACHE) cache.clear();
      r = match(topic);
      cache.set(topic, r);
    }
    return r;
  };
}
