/**
 * A partition's JetStream consumer: each take-over gets a durable consumer of its own from the resume point, and
 * earlier owners' consumers (with their unacked deliveries) are deleted first, so a stale owner's pulls find
 * nothing. Deliveries are buffered as they come; a batch is whatever is waiting, up to the batch size.
 */
import { AckPolicy, DeliverPolicy, nanos, nuid, type Consumer, type JsMsg } from 'nats';
import type { JetStreamFleetConfig } from './config.ts';
import type { FleetNats } from './streams.ts';
import { notFound } from './streams.ts';

/** Delete the consumers earlier owners of partition `k` left. */
export async function deleteStaleConsumers(nats: FleetNats, j: JetStreamFleetConfig, k: number): Promise<void> {
  const stale: string[] = [];
  for await (const c of nats.jsm.consumers.list(j.stream)) if (nats.names.consumerPartition(c.name) === k) stale.push(c.name);
  for (const name of stale) await nats.jsm.consumers.delete(j.stream, name).catch((err) => (notFound(err) ? undefined : Promise.reject(err)));
}

/** A durable consumer of this take-over's own for partition `k`, from the stream sequence after `lastSeq`. */
export async function addConsumer(nats: FleetNats, j: JetStreamFleetConfig, k: number, lastSeq: number): Promise<Consumer> {
  const durable = nats.names.durable(k, nuid.next());
  await nats.jsm.consumers.add(j.stream, {
    durable_name: durable,
    filter_subject: nats.names.partition(k),
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: lastSeq + 1,
    ack_wait: nanos(Math.max(30_000, 10 * j.leaseMs)),
    max_ack_pending: Math.max(1000, 2 * j.fetchBatch),
  });
  return nats.js.consumers.get(j.stream, durable);
}

/** Deliveries waiting to be judged, in stream order, without redeliveries. */
export class Deliveries {
  private readonly queue: JsMsg[] = [];
  private wake = () => {};

  /** `highest`: the last stream sequence judged or queued. */
  constructor(private highest: number) {}

  /** A delivery arrived (the consumer's callback). */
  readonly push = (m: JsMsg): void => {
    // A redelivery (ack_wait passed while the message waited here) is already queued or judged.
    if (m.seq <= this.highest) return;
    this.highest = m.seq;
    this.queue.push(m);
    this.wake();
  };

  /** The deliveries waiting, up to `max`; none when none came within 100 ms. */
  async take(max: number): Promise<JsMsg[]> {
    if (this.queue.length === 0) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.wake = () => (clearTimeout(t), r());
      });
      return [];
    }
    return this.queue.splice(0, max);
  }
}
