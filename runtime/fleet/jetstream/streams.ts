/**
 * Connect to NATS and make sure what a group needs exists: the readings stream (limits retention, max age), the
 * results stream (deduplicated by Nats-Msg-Id within `duplicateWindowMs`), the lease bucket (TTL = lease) and
 * the partition state bucket. Both streams drop a message published twice with one Nats-Msg-Id within the window. Existing streams are used as they are (a cluster operator may have made them R3).
 */
import { connect, nanos, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type KV, type NatsConnection } from 'nats';
import type { JetStreamFleetConfig } from './config.ts';
import { fleetSubjects, type FleetSubjects } from './subjects.ts';

/** An open connection with the group's names, streams and buckets. */
export interface FleetNats {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: FleetSubjects;
  leases: KV;
  states: KV;
  close(): Promise<void>;
}

/** Whether an error from the JetStream API says "not found". */
export function notFound(err: unknown): boolean {
  const e = err as { code?: string; api_error?: { err_code?: number }; message?: string };
  return e?.code === '404' || e?.api_error?.err_code === 10059 || /not found/i.test(e?.message ?? '');
}

/** Create a stream unless it exists. */
async function ensureStream(jsm: JetStreamManager, name: string, subjects: string[], j: JetStreamFleetConfig): Promise<void> {
  try {
    await jsm.streams.info(name);
    return;
  } catch (err) {
    if (!notFound(err)) throw err;
  }
  await jsm.streams.add({
    name,
    subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(j.maxAgeMs),
    duplicate_window: nanos(Math.min(j.duplicateWindowMs, j.maxAgeMs)),
  });
}

/**
 * Connect as `name` and prepare the group's streams and buckets. `noAsyncTraces`: nats.js then builds no Error per
 * request for its stack (a sixth of the bridge's CPU at thousands of publishes a second); errors name less context.
 */
export async function openFleetNats(j: JetStreamFleetConfig, group: string, name: string, opts: { noAsyncTraces?: boolean } = {}): Promise<FleetNats> {
  const nc = await connect({ servers: j.servers.split(',').map((s) => s.trim()), name, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: opts.noAsyncTraces ?? false });
  try {
    const jsm = await nc.jetstreamManager();
    const js = nc.jetstream();
    const names = fleetSubjects(j.prefix, group);
    await ensureStream(jsm, j.stream, [names.allReadings], j);
    await ensureStream(jsm, j.results, names.allResults, j);
    const leases = await js.views.kv(names.leaseBucket, { ttl: j.leaseMs, history: 1 });
    const states = await js.views.kv(names.stateBucket, { history: 1 });
    return { nc, js, jsm, names, leases, states, close: () => nc.drain().catch(() => nc.close()) };
  } catch (err) {
    await nc.close();
    throw new Error(`NATS JetStream at ${j.servers}: ${(err as Error).message}`);
  }
}
