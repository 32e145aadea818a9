/** Config section `broker`: the MQTT connection. */
import { z } from 'zod';
import { ms, path } from './fields.ts';

/** Broker connection. */
export const BrokerSchema = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'expected a broker URL: mqtt://, mqtts://, ws:// or wss://host[:port] (tcp:// and ssl://, as mqtt.js reads them, are mqtt:// and mqtts://)'),
    protocolVersion: z.union([z.literal(4), z.literal(5)], { error: 'expected 4 (MQTT 3.1.1) or 5 (MQTT 5)' }).default(4),
    /** Default: `vigil-` and a random suffix (a persistent session needs a stable id: set one). */
    clientId: z.string().min(1).max(128).optional(),
    /** false: persistent session, the broker keeps subscriptions and QoS 1 messages while we are away. */
    clean: z.boolean().default(true),
    /** MQTT 5 session expiry (s) for persistent sessions. */
    sessionExpirySec: z.number().int().nonnegative().default(3600),
    username: z.string().optional(),
    /** Prefer the VIGIL_MQTT_PASSWORD environment variable over writing it here. */
    password: z.string().optional(),
    tls: z
      .object({
        ca: path.optional(),
        cert: path.optional(),
        key: path.optional(),
        rejectUnauthorized: z.boolean().default(true),
        servername: z.string().optional(),
      })
      .strict()
      .optional(),
    keepaliveSec: z.number().int().min(0).max(65535).default(30),
    connectTimeoutMs: ms('connect timeout').default(10_000),
    /**
     * After losing the broker (runtime/mqtt/reconnect-backoff.ts): the first attempt at once (1-50 ms), then every
     * `minMs` for the first `quickMs` of the outage (a restarting broker is back within seconds, and with a
     * persistent session every moment away costs readings), then `minMs` doubling up to `maxMs`; +-20 % jitter.
     * `maxMs` 5 s: a gateway's broker is usually its own, and a probe's vigil came back 25-29 s after a 1-2 minute
     * outage under the former 30 s, readings and alerts waiting meanwhile; raise it for a broker shared by thousands.
     */
    reconnect: z
      .object({
        minMs: ms('reconnect delay').min(1, 'expected a reconnect delay of at least 1 ms').default(100),
        maxMs: ms('longest reconnect delay').default(5_000),
        quickMs: ms('quick reconnect phase').default(5_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  // A password with an unencoded `/` or space made a URL no parser reads the same (mqtt.js took the user name for the
  // host), and Node's warning about it printed the whole URL, password included: refused, without echoing it.
  // Only for a URL with a scheme: `127.0.0.1:1883` (no scheme) got this beside the scheme message above, and a probe's
  // user went looking for special characters in a URL that had none.
  .refine((b) => URL.canParse(b.url) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(b.url), {
    message: 'not a valid URL: percent-encode special characters (/ ? # @ : space) in its user and password, or better, leave them out of the URL and set broker.username and VIGIL_MQTT_PASSWORD',
    path: ['url'],
  })
  // TLS settings on a plain URL connected without TLS and sent the password in clear, silently (mqtt.js only switches
  // to TLS when a client certificate is given): refused, saying which scheme to use.
  .refine((b) => !b.tls || /^(mqtts|wss|ssl):\/\//.test(b.url), {
    message: 'broker.tls is set but broker.url is not a TLS URL: use mqtts:// (or wss://), or remove broker.tls',
    path: ['url'],
  });
