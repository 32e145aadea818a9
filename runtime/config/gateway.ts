/**
 * Config section `gateway`: which vigil this is, for whoever reads what it publishes. Two gateways on one broker (a
 * hot standby, two sites that both name a sensor `pump-1`) published byte-identical alerts a SCADA could not tell
 * apart, and nothing said that a vigil had gone (a probe): every alert and signal carries `gateway`, `{gateway}` may
 * appear in the alert topic, and a retained status message on `statusTopic` says online, or offline (a stop, or the
 * broker's will when the connection is lost).
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { publishTopic } from './fields.ts';

/** What a topic level cannot hold: `/`, `+`, `#`, control characters. */
const NOT_IN_A_LEVEL = /[/+#\u0000-\u001f]/g;

/** A gateway id: one topic level, at most 64 characters. */
const gatewayId = z
  .string()
  .min(1, 'expected a gateway id (1 to 64 characters)')
  .max(64, 'expected a gateway id of at most 64 characters')
  .refine((s) => !s.match(NOT_IN_A_LEVEL), { error: (i) => `expected a gateway id usable as one topic level (no '/', '+', '#' or control characters), got '${String(i.input)}'` });

/** The host name, made a valid gateway id (cut at its first dot, unusable characters replaced). */
export function defaultGatewayId(host = hostname()): string {
  const id = host.split('.')[0].replace(NOT_IN_A_LEVEL, '_').slice(0, 64);
  return id || 'vigil';
}

/** A topic template with `{gateway}` filled in with this gateway's id (alert, dead-letter and status topics). */
export function gatewayTopic(template: string, g: { id: string }): string {
  return template.replaceAll('{gateway}', g.id);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The placeholders of vigil's output topics, each filled with one topic level. */
const OUTPUT_PLACEHOLDER = /\{(?:gateway|sensor|reason)\}/g;

/**
 * vigil's own topic templates by config key (alerts, dead letters, status, commands and their replies; null: none),
 * which its intake never reads as readings and which a source topic should not share (runtime/ops/topic-warnings.ts).
 */
export function outputTopics(config: { alerts: { topic: string }; deadLetter: { topic: string | null }; gateway: GatewayConfig }): Record<string, string | null> {
  const commands = config.gateway.commandTopic;
  return {
    'alerts.topic': config.alerts.topic,
    'deadLetter.topic': config.deadLetter.topic,
    'gateway.statusTopic': config.gateway.statusTopic,
    'gateway.commandTopic': commands,
    'gateway.commandTopic replies': commands && replyTopic(commands),
  };
}

/** An output topic template as the MQTT filter of every topic any gateway publishes under it (each placeholder `+`). */
export function outputFilter(template: string): string {
  return template.replace(OUTPUT_PLACEHOLDER, '+');
}

/**
 * Whether a topic is one any gateway publishes under `template` (an alert, dead-letter or status topic): the whole
 * template, each placeholder (`{gateway}`, `{sensor}`, `{reason}`) any one topic level, as each fills one; undefined
 * without a template. No gateway reads them as readings: cut at `{gateway}`, `plant/{gateway}/alerts/{sensor}` took
 * every reading under `plant/` for vigil's own (a review); with only its own id filled, a `plant/#` source read
 * another gateway's alerts and dead letters as readings and dead-lettered them, the other gateway then its dead
 * letters; and a prefix cut at the first placeholder (`plant/{sensor}/alert`: `plant/`) took every reading too.
 */
export function anyGatewayTopic(template: string | null): ((topic: string) => boolean) | undefined {
  if (!template) return undefined;
  const re = new RegExp(`^${template.split(OUTPUT_PLACEHOLDER).map(escapeRegExp).join('[^/]+')}$`);
  return (topic) => re.test(topic);
}

/** Where the answers to commands on a command topic go (runtime/mqtt/command-topic.ts). */
export const replyTopic = (topic: string): string => `${topic}/reply`;

/** The `gateway` section. */
export const GatewaySchema = z
  .object({
    /** Named in every alert and signal (`gateway`), in `{gateway}` of topics, and in the status message. Default: the host name. */
    id: gatewayId.default(() => defaultGatewayId()),
    /**
     * Retained `vigil-status/1` message: `online` at every connection, `offline` at a stop, and the broker's will
     * (`offline`, `cause: connection lost`) when vigil vanishes (a kill, a power cut, a network gone). `{gateway}` is
     * replaced by the id. null: none.
     */
    statusTopic: publishTopic(['gateway']).nullable().default('vigil/status/{gateway}'),
    /**
     * Operators' commands over MQTT (runtime/mqtt/command-topic.ts; e.g. `vigil/command/{gateway}`), answered on
     * `TOPIC/reply`. Anyone the broker lets publish here can mark a sensor normal: set its ACL. null (default): none.
     */
    commandTopic: publishTopic(['gateway']).nullable().default(null),
  })
  .strict();

/** The gateway section, validated. */
export type GatewayConfig = z.infer<typeof GatewaySchema>;
