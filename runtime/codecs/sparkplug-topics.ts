/**
 * Sparkplug B topics (`spBv1.0/GROUP/TYPE/NODE[/DEVICE]`, behind an optional bridge prefix): their levels, and what a
 * configuration's topic templates would get wrong about them (checked when the config is read and at start).
 */

/**
 * A Sparkplug topic's levels from `spBv1.0` on (`seg`: spBv1.0, GROUP, TYPE, NODE[, DEVICE]) and what stands before
 * them (`prefix`, with its slash: a bridge's mount point such as `site-3/`; empty on the broker the nodes publish to),
 * or undefined when no level is `spBv1.0`. A bridged topic was accepted and never read (a probe: its NBIRTH refused,
 * every DDATA `unknown_alias`, and the rebirth asked of a node on the wrong topic).
 */
export function sparkplugTopic(topic: string): { prefix: string; seg: string[] } | undefined {
  const levels = topic.split('/');
  const at = levels.indexOf('spBv1.0');
  return at < 0 ? undefined : { prefix: levels.slice(0, at).map((l) => `${l}/`).join(''), seg: levels.slice(at) };
}

/**
 * Why a topic template would split one Sparkplug device into several sensors, or undefined: the message type level
 * (`spBv1.0/GROUP/TYPE/...`) must not be part of the sensor id, or a device's DBIRTH and DDATA are two sensors.
 */
export function sparkplugTemplateProblem(template: string, sensorId: string | undefined): string | undefined {
  const levels = sparkplugTopic(template)?.seg ?? [];
  if (levels.length < 4) return undefined;
  const type = levels[2];
  const named = /^\{(.+)\}$/.exec(type)?.[1];
  const inId = sensorId === undefined ? type === '+' || named !== undefined : named !== undefined && sensorId.includes(`{${named}}`);
  if (!inId) return undefined;
  return `the message type level '${type}' is part of the sensor id, so a device's BIRTH and DATA messages would be two sensors; set source.sensorId without it, e.g. '{group}:{node}:{device}' for spBv1.0/{group}/{type}/{node}/{device}`;
}

/**
 * Why Sparkplug topics that subscribe to devices' messages only (`spBv1.0/GROUP/TYPE/NODE/DEVICE`, none at the node
 * level) miss part of each node's session, or undefined: its NBIRTH and NDEATH (a new session, the node gone) and the
 * node's own messages in its `seq`, so gaps go unseen (a probe got no word of it at start).
 */
export function sparkplugNodeLevelMissing(templates: readonly string[]): string | undefined {
  const levels = templates.map((t) => sparkplugTopic(t)?.seg.length ?? 0).filter((n) => n > 0);
  if (levels.length === 0 || levels.some((n) => n === 4 || n < 4)) return undefined;
  if (templates.some((t) => /(^|\/)#$/.test(t))) return undefined;
  return `source.topics subscribe to Sparkplug device messages only (${templates.join(', ')}): the nodes' own messages (NBIRTH, NDEATH, NDATA) are not received, so a node's new session and its death go unseen and gaps in seq are not detected; add the node level too, e.g. 'spBv1.0/{group}/{type}/{node}'`;
}
