/**
 * An MQTT publishing sink with bounded in-flight messages: QoS 0 waits only when the socket pushes back,
 * QoS 1/2 keep up to `maxInFlight` unacknowledged messages, so a fast source can never grow memory.
 */
import type { MqttClient } from 'mqtt';

/** A sink that publishes messages and can be drained. */
export interface Publisher {
  /** Publish; resolves when the message may be considered handed over (room in the in-flight window). */
  publish(topic: string, payload: string): Promise<void>;
  /** Wait for every message in flight to be written (QoS 0) or acknowledged (QoS 1/2). */
  drain(): Promise<void>;
  /** Messages handed to the client, messages confirmed, and failures (first error kept). */
  readonly stats: { published: number; confirmed: number; failed: number; lastError?: string };
}

/** Wrap a connected client. */
export function createPublisher(client: MqttClient, opts: { qos?: 0 | 1 | 2; retain?: boolean; maxInFlight?: number } = {}): Publisher {
  const qos = opts.qos ?? 0;
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 1000);
  const stats: Publisher['stats'] = { published: 0, confirmed: 0, failed: 0 };
  let inFlight = 0;
  const waiters: (() => void)[] = [];
  const release = () => {
    inFlight--;
    const w = waiters.shift();
    if (w) w();
    if (inFlight === 0) for (const d of drained.splice(0)) d();
  };
  const drained: (() => void)[] = [];
  return {
    stats,
    async publish(topic, payload) {
      while (inFlight >= maxInFlight) await new Promise<void>((r) => waiters.push(r));
      inFlight++;
      stats.published++;
      client.publish(topic, payload, { qos, retain: opts.retain ?? false }, (err) => {
        if (err) {
          stats.failed++;
          stats.lastError ??= err.message;
        } else stats.confirmed++;
        release();
      });
    },
    drain() {
      return inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => drained.push(r));
    },
  };
}
