/**
 * Topic templates map MQTT topics to sensor ids: `plant/{site}/{device}/telemetry` subscribes to
 * `plant/+/+/telemetry` and names the sensor from the named parts (`site.device` by default, or a `sensorId`
 * format such as `{site}-{device}`). Plain `+` wildcards capture too, so `sensors/+/data` works as is.
 * `{channel}` names the channel for one-value-per-topic codecs and is not part of the sensor id.
 * Sensor ids are validated so they can never inject wildcards or levels into alert topics.
 */
import type { TopicInfo } from '../codecs/codec.ts';
import { compileSensorIdFormat, type SensorIdFormat } from './sensor-id-format.ts';

/**
 * Allowed sensor ids: letters and digits of any script (with their combining marks), `_ - . :`, starting with a letter
 * or digit, at most 128 characters, no `..`. Nothing else can reach an alert topic level: no `/ + #`, spaces, control or
 * format characters (a bidi override, a zero-width joiner). Letters beyond ASCII are a plant's names (`pumpe-Überlauf-3`,
 * `насос-1`: a probe found them refused, with no way to map them). Ids are taken byte for byte: a name written in
 * another Unicode normal form is another sensor.
 */
const SENSOR_ID = /^[\p{L}\p{N}][\p{L}\p{N}\p{M}_.:-]{0,127}$/u;

/** Why a sensor id is not acceptable, or undefined when it is. */
export function sensorIdProblem(id: string): string | undefined {
  if (!SENSOR_ID.test(id)) {
    return `sensor id ${JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}...` : id)} is not allowed; expected 1-128 letters or digits (any script) or _ - . : starting with a letter or digit (no + # / spaces or control characters)`;
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
  /** How its sensor ids are built (its id format's `format`, e.g. `{group}:{node}:{device}`; '' for none). */
  readonly idKey: string;
  /**
   * Named parts its sensor ids leave out, so topics that differ only there name one sensor; not `{channel}` (a level
   * of one sensor's values) nor a fleet's `{partition}` (a function of the sensor id).
   */
  readonly leftOut: readonly string[];
}

/**
 * Pairs of templates under different fixed prefixes that build their sensor ids from the same parts the same way:
 * topics under either prefix get one id (a probe: Sparkplug nodes of the same names behind a bridge prefix and on the
 * broker itself were one sensor, unsaid). Templates that differ after their first part (one device's `tele/{sensor}/
 * SENSOR` and `tele/{sensor}/STATE`) are one device's topics, not reported.
 */
export function sharedIdTemplates(templates: readonly TopicTemplate[]): Array<[TopicTemplate, TopicTemplate]> {
  // The fixed levels before the first wildcard, with their slash ('' when the template starts with one).
  const prefix = (t: TopicTemplate) => {
    const i = t.filter.search(/(^|\/)[+#]/);
    return i < 0 ? t.filter : t.filter.slice(0, t.filter[i] === '/' ? i + 1 : i);
  };
  const pairs: Array<[TopicTemplate, TopicTemplate]> = [];
  templates.forEach((a, i) => {
    for (const b of templates.slice(i + 1)) if (a.idKey === b.idKey && a.idKey !== '' && prefix(a) !== prefix(b)) pairs.push([a, b]);
  });
  return pairs;
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
  const segs = parseLevels(template);
  const names = segs.flatMap((s) => (s.kind === 'named' ? [s.name] : []));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`topic template '${template}': part {${dup}} appears twice`);
  let guard: SeparatorGuard | undefined;
  if (sensorId) ({ sensorId, guard } = fitSensorId(sensorId, names, template));
  const anonCount = segs.filter((s) => s.kind === 'plus').length;
  const idFormat = sensorIdFormat(template, sensorId, names, anonCount);
  const filter = segs.map((s) => (s.kind === 'literal' ? s.text : s.kind === 'hash' ? '#' : '+')).join('/');
  const idKey = idFormat?.format ?? '';
  const leftOut = names.filter((n) => n !== 'channel' && n !== 'partition' && !idKey.includes(`{${n}}`));
  return { template, filter, idKey, leftOut, match: templateMatcher(template, segs, guard, idFormat, names.length + anonCount) };
}

/** The template's levels; throws for a misplaced `#` or a level that mixes text and wildcards. */
function parseLevels(template: string): Segment[] {
  return template.split('/').map((s, i, all) => {
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
}

/** A part that may not contain the separator that would follow it in a longer sensor id. */
interface SeparatorGuard {
  part: string;
  sep: string;
}

/**
 * The sensorId format cut to the parts this template has. A template may lack the sensorId's trailing parts
 * (Sparkplug's node-level `spBv1.0/{group}/{type}/{node}` beside the device-level one): they are left out with the
 * separator before them, which the new last part may then not contain, so `g:n` of a node can never read as
 * `g:n:d` of a device. Throws when a part other than trailing ones is missing.
 */
function fitSensorId(sensorId: string, names: string[], template: string): { sensorId: string; guard?: SeparatorGuard } {
  const used = [...sensorId.matchAll(/\{([^}]*)\}/g)];
  let keep = used.length;
  while (keep > 0 && !names.includes(used[keep - 1][1])) keep--;
  const lacking = used.slice(0, keep).find((m) => !names.includes(m[1]));
  if (lacking || keep === 0) {
    const m = lacking ?? used[0];
    throw new Error(`sensorId format '${sensorId}' names {${m[1]}}, which topic template '${template}' does not have (has ${names.map((n) => `{${n}}`).join(', ') || 'none'})`);
  }
  if (keep === used.length) return { sensorId };
  const last = used[keep - 1];
  const end = last.index! + last[0].length;
  return { sensorId: sensorId.slice(0, end), guard: { part: last[1], sep: sensorId.slice(end, used[keep].index)[0] ?? '' } };
}

/**
 * How ids are built from the captured parts, so that two topics never share one (see sensor-id-format.ts);
 * undefined for a template with no captures, which names its one sensor after the topic itself.
 */
function sensorIdFormat(template: string, sensorId: string | undefined, names: string[], anonCount: number): SensorIdFormat | undefined {
  const idNames = names.filter((n) => n !== 'channel');
  try {
    if (sensorId) return compileSensorIdFormat(sensorId, names, anonCount);
    else if (names.includes('sensor')) return compileSensorIdFormat('{sensor}', names, anonCount);
    else if (idNames.length + anonCount > 0) return compileSensorIdFormat(undefined, idNames, anonCount);
  } catch (err) {
    throw new Error(`topic template '${template}': ${(err as Error).message}`);
  }
  return undefined;
}

/** A topic's named parts and its `+` levels, in order. */
interface Captured {
  parts: Record<string, string>;
  anon: string[];
}

/** Match a topic against the levels and build its sensor id. */
function templateMatcher(template: string, segs: Segment[], guard: SeparatorGuard | undefined, idFormat: SensorIdFormat | undefined, captures: number): (topic: string) => TopicInfo | TopicMiss {
  const hasHash = segs.at(-1)?.kind === 'hash';
  const fixed = hasHash ? segs.length - 1 : segs.length;
  return (topic) => {
    const levels = topic.split('/');
    if (hasHash ? levels.length < fixed : levels.length !== fixed) return { reason: 'unknown_topic', error: `topic '${topic}' does not match template '${template}'` };
    const captured = captureLevels(topic, levels, segs, fixed, template);
    if ('error' in captured) return captured;
    const { parts, anon } = captured;
    if (guard?.sep && parts[guard.part]?.includes(guard.sep)) {
      return { reason: 'bad_sensor_id', error: `topic '${topic}': the {${guard.part}} level '${parts[guard.part]}' contains '${guard.sep}', which separates it from the next part in longer sensor ids, so the id would be ambiguous` };
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
  };
}

/** The first `fixed` levels checked against the template: literals must be equal, captured levels not empty. */
function captureLevels(topic: string, levels: string[], segs: Segment[], fixed: number, template: string): Captured | TopicMiss {
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
  return { parts, anon };
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
