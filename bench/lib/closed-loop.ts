/**
 * Closed-loop feeding of a consumer process: publish round-robin over many sensors, keep a fixed number of
 * readings outstanding ahead of what the consumer reports finished, so it runs flat out and the broker never drops.
 */
import type { MqttClient } from 'mqtt';
import { waitFor, type Consumer } from './consumer.ts';

/** Publishes readings round-robin over `sensors`, each sensor's rows numbered on; `payload(sensor, row)` is the message. */
export function feeder(pub: MqttClient, sensors: number, topicOf: (s: number) => string, payload: (sensor: number, row: number) => string) {
  let sent = 0;
  const rows = new Array<number>(sensors).fill(0);
  return {
    sensors,
    get sent() {
      return sent;
    },
    send(n: number) {
      for (let k = 0; k < n; k++) {
        const s = sent % sensors;
        pub.publish(topicOf(s), payload(s, rows[s]++), { qos: 0 });
        sent++;
      }
    },
  };
}
/** A round-robin publisher made by `feeder`. */
export type Feeder = ReturnType<typeof feeder>;

/** Fill every sensor's window so that from then on each reading yields a verdict (bare: one reading each). */
export async function warm(c: Consumer, f: Feeder, rows: number, countsWarm: boolean): Promise<void> {
  f.send(f.sensors * rows);
  const target = countsWarm ? f.sensors * rows : f.sensors;
  await waitFor(() => c.last.processed + c.last.dropped >= target, c, 60_000, 'warm-up');
}

/** Closed-loop flood: keep OUTSTANDING readings ahead of what the consumer has finished; returns readings/s. */
export async function measure(c: Consumer, f: Feeder, seconds: number, slack = 0) {
  const outstanding = 4000;
  const base = c.last.processed + c.last.dropped;
  const baseProcessed = c.last.processed;
  const baseSent = f.sent;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const pump = () => {
      if ((performance.now() - t0) / 1000 >= seconds) return resolve();
      const ahead = f.sent - baseSent - (c.last.processed + c.last.dropped - base);
      if (ahead < outstanding) f.send(Math.min(500, outstanding - ahead));
      setImmediate(pump);
    };
    pump();
  });
  const t1 = performance.now();
  const processed = c.last.processed - baseProcessed;
  // Let the consumer finish what is outstanding so the next round starts from a quiet broker.
  const all = f.sent - baseSent;
  await waitFor(() => c.last.processed + c.last.dropped - base >= all - slack, c, 60_000, 'the consumer to catch up').catch(() => undefined);
  return { readingsPerS: processed / ((t1 - t0) / 1000), processed, dropped: c.last.dropped, rss: c.last.rss };
}
