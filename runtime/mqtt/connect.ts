/**
 * Open an mqtt.js 5 client from the broker config: MQTT 3.1.1 or 5, mqtt/mqtts/ws/wss, TLS files, credentials,
 * clean or persistent session, a prompt reconnect then exponential backoff (reconnect-backoff.ts), and TCP_NODELAY
 * on every (re)connection
 * (mqtt.js has no option for it; without it small publishes wait ~40 ms for Nagle).
 */
import { redactUrl } from '../util/redact-url.ts';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { z } from 'zod';
import type { BrokerSchema } from '../config/schema.ts';
import { classifyConnectError, shortReason } from './connect-failure.ts';
import { ReconnectBackoff } from './reconnect-backoff.ts';

/** Validated broker settings. */
export type BrokerConfig = z.infer<typeof BrokerSchema>;

/** Something that can log (pino or a stand-in). */
export interface MiniLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** Read a TLS file, naming the config key when it cannot be read. */
function readTlsFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`broker.tls.${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); expected a PEM file`);
  }
}

/**
 * The TLS files checked together now, so a mistake names its keys: OpenSSL's own error at the first connection named
 * none ("key values mismatch"), and a CA file with no certificate in it was taken for the wrong CA (a probe).
 */
function checkTls(tls: NonNullable<BrokerConfig['tls']>, ca?: Buffer, cert?: Buffer, key?: Buffer): void {
  if (ca && !/-----BEGIN (TRUSTED )?CERTIFICATE-----/.test(ca.toString('latin1'))) {
    throw new Error(`broker.tls.ca: ${tls.ca} holds no PEM certificate (-----BEGIN CERTIFICATE-----); expected the certificate of the CA that signed the broker's`);
  }
  if (!cert !== !key) throw new Error(`broker.tls.${cert ? 'key' : 'cert'}: missing; broker.tls.cert and broker.tls.key go together (a client certificate and its private key)`);
  try {
    createSecureContext({ ca, cert, key });
  } catch (err) {
    throw new Error(`broker.tls.cert and broker.tls.key (${tls.cert}, ${tls.key}): ${shortReason(err as Error)}; expected a PEM client certificate and its own private key`);
  }
}

/**
 * mqtt.js options for a broker config. `maxPacketBytes`: the largest packet the broker may send this client, asked of
 * it under MQTT 5 (max-packet.ts); MQTT 3.1.1 has no way to ask.
 */
export function clientOptions(cfg: BrokerConfig, clientIdSuffix = randomBytes(4).toString('hex'), maxPacketBytes?: number): IClientOptions {
  const opts: IClientOptions = {
    protocolVersion: cfg.protocolVersion,
    clientId: cfg.clientId ?? `vigil-${clientIdSuffix}`,
    clean: cfg.clean,
    keepalive: cfg.keepaliveSec,
    connectTimeout: cfg.connectTimeoutMs,
    reconnectPeriod: cfg.reconnect.minMs,
    // Alerts queue in our own bounded queue while offline; QoS 0 readings are not worth replaying.
    queueQoSZero: false,
    resubscribe: true,
    // A broker that answers "busy" or "unavailable" while restarting must not end the reconnect loop for good;
    // refusals that retrying cannot fix are caught at start-up by waitConnected.
    reconnectOnConnackError: true,
    // mqtt-packet would otherwise build a Buffer for every packet id 0-65535 on the first write (~7 MB of V8 heap
    // for the life of the process, a twentieth of vigil run's RSS; bench/memory.ts) to save a 2-byte allocation
    // per packet id written. Process-wide in mqtt-packet, as the option is.
    writeCache: false,
    ...quietClientLog(),
  };
  // MQTT 3.1.1 has no password without a user name: mqtt.js closed each connection unsent, and a probe's start failed
  // after the connect timeout with "no answer; is it running and reachable?".
  if (cfg.password !== undefined && cfg.username === undefined && cfg.protocolVersion !== 5 && !/^[a-z]+:\/\/[^@/]+@/i.test(cfg.url)) {
    throw new Error('broker.password (or VIGIL_MQTT_PASSWORD) is set without broker.username, which MQTT 3.1.1 requires with a password: set broker.username (or VIGIL_MQTT_USERNAME), or broker.protocolVersion: 5');
  }
  if (cfg.username !== undefined) opts.username = cfg.username;
  if (cfg.password !== undefined) opts.password = cfg.password;
  if (cfg.protocolVersion === 5 && !cfg.clean) opts.properties = { sessionExpiryInterval: cfg.sessionExpirySec };
  if (cfg.protocolVersion === 5 && maxPacketBytes !== undefined) opts.properties = { ...opts.properties, maximumPacketSize: maxPacketBytes };
  if (cfg.tls) {
    if (cfg.tls.ca) opts.ca = readTlsFile(cfg.tls.ca, 'ca');
    if (cfg.tls.cert) opts.cert = readTlsFile(cfg.tls.cert, 'cert');
    if (cfg.tls.key) opts.key = readTlsFile(cfg.tls.key, 'key');
    checkTls(cfg.tls, opts.ca as Buffer | undefined, opts.cert as Buffer | undefined, opts.key as Buffer | undefined);
    opts.rejectUnauthorized = cfg.tls.rejectUnauthorized;
    if (cfg.tls.servername) opts.servername = cfg.tls.servername;
  }
  return opts;
}

/**
 * mqtt.js logs through `debug` on every packet and chunk, and `debug(...args)` gathers its arguments into an array
 * before it checks whether it is enabled: a tenth of all the bytes vigil run allocated at 10k readings/s (a V8
 * sampling profile with collected objects). A no-op logger in its place, unless DEBUG asks for mqtt.js's log.
 */
function quietClientLog(): Pick<IClientOptions, 'log'> {
  return /mqttjs/.test(process.env.DEBUG ?? '') ? {} : { log: () => {} };
}

/** Whether the broker's latest CONNACK to a client said it kept the client's session (undefined: not connected yet). */
const sessionPresent = new WeakMap<MqttClient, boolean>();

/** Whether the broker kept `client`'s session at its latest connect (undefined before the first, or for a client not opened here). */
export function keptSession(client: MqttClient): boolean | undefined {
  return sessionPresent.get(client);
}

/** How long a client has been away from its broker and its latest error, while it is (set by `connectBroker`). */
const awayOf = new WeakMap<MqttClient, () => BrokerAway | undefined>();

/** A broker connection lost: since how long (ms), and the latest error met trying again. */
export interface BrokerAway {
  awayMs: number;
  lastError?: string;
}

/** Whether `client` is away from its broker now, since when and why (undefined while connected, or not opened here). */
export function brokerAway(client: MqttClient): BrokerAway | undefined {
  return awayOf.get(client)?.();
}

/**
 * Open a client (it connects in the background and keeps reconnecting until `end()`); `maxPacketBytes` as for
 * `clientOptions`.
 */
export function connectBroker(cfg: BrokerConfig, log?: MiniLogger, name = 'broker', will?: IClientOptions['will'], maxPacketBytes?: number): MqttClient {
  if (cfg.tls?.rejectUnauthorized === false) {
    log?.warn(
      { broker: redactUrl(cfg.url) },
      `broker.tls.rejectUnauthorized is false: the ${name}'s certificate is not checked, so anyone on the network path can pose as the ${name} and read or forge readings and alerts; give its CA in broker.tls.ca instead`,
    );
  }
  const client = mqtt.connect(cfg.url, { ...clientOptions(cfg, undefined, maxPacketBytes), ...(will ? { will } : {}) });
  const backoff = new ReconnectBackoff(cfg.reconnect);
  // mqtt.js arms its reconnect timer with options.reconnectPeriod in its own 'close' handler: set the delay first.
  client.prependListener('close', () => {
    backoff.dropped();
    client.options.reconnectPeriod = backoff.nextDelay();
  });
  // An outage is told once when it starts, then at most every OUTAGE_LOG_MS with its attempts, and once when it
  // ends: each attempt logging its error flooded the log (about 20 lines a second in the quick phase), and the error
  // says what to fix once the broker answers (a password rotated, a certificate renewed).
  // The first connection counts as one (a broker down at start floods the same way).
  // Each cause is said once as it first comes in an outage (a broker back with a rotated password refuses the login:
  // a probe read "ECONNREFUSED" for 33 s of refused logins), then with the rest every OUTAGE_LOG_MS.
  let outage: { since: number; attempts: number; toldAt: number; causes: Set<string>; lastError?: string } | undefined = { since: Date.now(), attempts: 0, toldAt: 0, causes: new Set() };
  // For /health, which said only `connected: false` (a probe could not tell a broker down from a refused login).
  awayOf.set(client, () => (outage && !client.connected ? { awayMs: Date.now() - outage.since, ...(outage.lastError ? { lastError: outage.lastError } : {}) } : undefined));
  // A session taken over: another client connected with our client id (two vigils with one config, a copied gateway
  // config). The broker drops us (Mosquitto without a reason code, on 3.1.1 and 5), again and again, soon after each
  // connection: said as such rather than as an outage.
  // Once said, the takeover is said again at most every OUTAGE_LOG_MS, with the drops since (a probe: 16 error lines in
  // 3.5 s, each reconnection logged too).
  const takeover = { connectedAt: 0, shortLived: 0, toldAt: 0, untold: 0, settle: undefined as ReturnType<typeof setTimeout> | undefined };
  const takenOver = () => takeover.shortLived >= SHORT_LIVED_TIMES;
  // A connection that outlives SHORT_LIVED_MS after a takeover was said: the session is ours again, and said so (a
  // review: the takeover's error stayed the last word, its untold drops lost).
  const settled = () => {
    takeover.settle = undefined;
    if (!client.connected || !takenOver()) return;
    log?.info({ broker: redactUrl(cfg.url), clientId: client.options.clientId, dropsSinceLastSaid: takeover.untold }, `${name} connected and staying: the session taken over is ours again`);
    takeover.shortLived = 0;
    takeover.toldAt = 0;
    takeover.untold = 0;
  };
  client.on('connect', (ack) => {
    sessionPresent.set(client, ack.sessionPresent === true);
    takeover.connectedAt = Date.now();
    backoff.connected();
    const sock = client.stream as unknown as { setNoDelay?: (v: boolean) => void };
    sock.setNoDelay?.(true);
    const after = outage?.attempts ? { outageMs: Date.now() - outage.since, attempts: outage.attempts } : {};
    outage = undefined;
    // While taken over, a reconnection is said only with the takeover's own line (at most every OUTAGE_LOG_MS), and
    // once it has lasted SHORT_LIVED_MS.
    if (takenOver() && takeover.toldAt) {
      clearTimeout(takeover.settle);
      takeover.settle = setTimeout(settled, SHORT_LIVED_MS);
      takeover.settle.unref?.();
      if (Date.now() - takeover.toldAt < OUTAGE_LOG_MS) return;
    }
    log?.info({ broker: redactUrl(cfg.url), clientId: client.options.clientId, sessionPresent: ack.sessionPresent, ...after }, `${name} connected`);
  });
  client.on('reconnect', () => {
    // mqtt.js retries on a fixed interval (setInterval); the next attempt is armed by the next 'close', with its own delay.
    (client as unknown as { _clearReconnect?: () => void })._clearReconnect?.();
  });
  client.on('offline', () => {
    clearTimeout(takeover.settle);
    if (takeover.connectedAt) takeover.shortLived = Date.now() - takeover.connectedAt < SHORT_LIVED_MS ? takeover.shortLived + 1 : 0;
    if (!takenOver()) takeover.toldAt = 0;
    takeover.connectedAt = 0;
    if (outage) return;
    outage = { since: Date.now(), attempts: 0, toldAt: 0, causes: new Set() };
    const clientId = client.options.clientId;
    if (takenOver()) {
      const now = Date.now();
      takeover.untold++;
      if (takeover.toldAt && now - takeover.toldAt < OUTAGE_LOG_MS) return;
      const since = takeover.toldAt ? { dropsSinceLastSaid: takeover.untold } : {};
      takeover.toldAt = now;
      takeover.untold = 0;
      log?.error(
        { broker: redactUrl(cfg.url), clientId, droppedSoonAfterConnecting: takeover.shortLived, ...since },
        `${name} dropped the connection ${takeover.shortLived} times in a row within ${SHORT_LIVED_MS / 1000} s of connecting: another client may be taking our session with client id ${clientId} (two vigils with one config, or a copied gateway config: each drops the other and readings are lost; give each its own broker.clientId and state.file), or the broker refuses something this client does (its log says which). Reconnecting with backoff`,
      );
    } else log?.warn({ broker: redactUrl(cfg.url) }, `${name} unreachable; reconnecting with backoff`);
  });
  client.on('error', (err) => {
    const now = Date.now();
    const f = classifyConnectError(err);
    if (outage) {
      outage.attempts++;
      outage.lastError = shortReason(err);
      if (now - outage.toldAt < OUTAGE_LOG_MS && outage.causes.has(f.cause)) return;
      outage.toldAt = now;
      outage.causes.add(f.cause);
    }
    const still = outage ? { attempts: outage.attempts, outageMs: now - outage.since } : {};
    log?.warn({ broker: redactUrl(cfg.url), err: err.message, ...still }, `${name} error: ${f.cause}${f.permanent ? `; ${f.check}` : ''}`);
  });
  return client;
}

/** A connection the broker drops this soon (ms) after it was made, SHORT_LIVED_TIMES times in a row, looks taken over. */
const SHORT_LIVED_MS = 10_000;
const SHORT_LIVED_TIMES = 3;

/** While the broker is away, its errors are logged at most this often (ms). */
const OUTAGE_LOG_MS = 30_000;

/**
 * Wait for the first successful connection. Rejects at once when the broker or TLS refuses us in a way that
 * retrying cannot fix (credentials, certificates, protocol version), naming the cause and what to check;
 * otherwise keeps the client retrying and rejects after `timeoutMs` with the last error.
 */
export function waitConnected(client: MqttClient, timeoutMs: number): Promise<void> {
  if (client.connected) return Promise.resolve();
  const where = redactUrl(brokerUrlOf(client));
  return new Promise((resolve, reject) => {
    let lastError = 'no answer';
    let lastCode: unknown;
    const onErr = (e: Error & { code?: string | number }) => {
      const f = classifyConnectError(e);
      lastError = shortReason(e);
      lastCode = e.code;
      if (f.permanent) done(new Error(`could not connect to the broker at ${where}: ${f.cause} (${lastError}); ${f.check}. Not retrying: the same settings would fail again.`));
    };
    const onConnect = () => done();
    // A connection reset before any answer: the port is there, but speaks TLS to a plain client or plain MQTT to a TLS
    // one (Mosquitto resets both; a probe was asked whether a running broker was running).
    // One that takes the connection and never answers CONNECT is there too: hung, or not MQTT's port.
    const hint = () =>
      lastCode === 'ECONNRESET'
        ? `the broker closed each connection before answering: is broker.url's scheme that of its port? (mqtts:// for a TLS port such as 8883, mqtt:// for a plain one such as 1883; broker.connectTimeoutMs)`
        : lastError === 'connack timeout'
          ? "the broker took the connection but never answered MQTT's CONNECT: is broker.url's port its MQTT listener (not HTTP or a websocket one given as mqtt://), and is the broker not hung? (broker.connectTimeoutMs)"
          : 'is it running and reachable? (broker.url, broker.connectTimeoutMs)';
    const timer = setTimeout(() => done(new Error(`could not connect to the broker at ${where} within ${timeoutMs} ms (${lastError}); ${hint()}`)), timeoutMs);
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onErr);
      if (err) reject(err);
      else resolve();
    };
    client.on('connect', onConnect);
    client.on('error', onErr);
  });
}

/** The URL a client was opened with, for messages. */
function brokerUrlOf(client: MqttClient): string {
  const o = client.options;
  return `${o.protocol ?? 'mqtt'}://${o.hostname ?? o.host ?? '?'}:${o.port ?? ''}`;
}

