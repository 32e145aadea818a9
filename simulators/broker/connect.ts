/**
 * Connect an mqtt.js client the way every vigil tool does: fail fast with a readable message when the broker is
 * unreachable at start, Nagle off on the socket (mqtt.js has no option for it), reconnect afterwards.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { untrustedServer } from '@vigil/runtime/mqtt/connect-failure.ts';

/** Connection options every tool exposes. */
export interface ConnectOptions {
  username?: string;
  password?: string;
  clientId?: string;
  /** PEM file of the CA that signed the broker's certificate (mqtts://, wss://): a plant's own CA. */
  ca?: string;
  /** Give up on the first connection after this long, ms. */
  timeoutMs?: number;
}

/** Connect to `url`; rejects with what went wrong and what was expected if the first connect fails. */
export async function connectMqtt(url: string, opts: ConnectOptions = {}): Promise<MqttClient> {
  if (!/^(mqtts?|wss?|tcp|ssl):\/\//.test(url)) {
    throw new Error(`broker '${url}' is not a broker URL; expected e.g. mqtt://127.0.0.1:1883 (mqtt, mqtts, ws, wss)`);
  }
  const options: IClientOptions = {
    username: opts.username,
    password: opts.password,
    clientId: opts.clientId,
    reconnectPeriod: 1000,
    connectTimeout: opts.timeoutMs ?? 5000,
  };
  if (opts.ca) {
    try {
      options.ca = readFileSync(opts.ca);
    } catch (err) {
      throw new Error(`--ca ${opts.ca}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); expected a PEM file`);
    }
  }
  const client = mqtt.connect(url, options);
  const noDelay = () => {
    const s = client.stream as unknown as { setNoDelay?: (v: boolean) => void; socket?: { setNoDelay?: (v: boolean) => void } };
    s.setNoDelay?.(true);
  };
  client.on('connect', noDelay);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no answer within ${options.connectTimeout} ms`)), options.connectTimeout);
    const fail = (err: Error) => {
      clearTimeout(timer);
      client.removeListener('connect', ok);
      client.end(true);
      // A broker whose certificate this machine does not trust, or that refused the login, is running: the hint is its
      // CA or the credentials, not a broker to start.
      const code = (err as Error & { code?: unknown }).code;
      const hint = untrustedServer(err)
        ? "; give the CA certificate that signed the broker's with --ca FILE"
        : typeof code === 'number' && /^Connection refused/.test(err.message)
          ? '; the broker refused this client: check --username and --password (or VIGIL_MQTT_PASSWORD)'
          : ". Is a broker running there? Start one with 'vigil broker --port 1883'";
      reject(new Error(`cannot connect to ${url}: ${err.message}${hint}`));
    };
    const ok = () => {
      clearTimeout(timer);
      client.removeListener('error', fail);
      resolve();
    };
    client.once('connect', ok);
    client.once('error', fail);
  });
  // After the first connect, errors are transient: mqtt.js reconnects; keep them from crashing the process.
  client.on('error', () => {});
  return client;
}

/** End a client, waiting for its outgoing queue to flush (bounded). */
export function endMqtt(client: MqttClient, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.end(true);
      resolve();
    }, timeoutMs);
    client.end(false, {}, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
