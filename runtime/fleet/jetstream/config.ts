/**
 * The `fleet.jetstream` section: where the readings stream, the results stream and the lease / state buckets
 * live, and the lease and fetch timing. Present: the fleet is coordinated through NATS JetStream
 * (docs/fleet-jetstream.md) and workers run with `vigil fleet worker --jetstream`; absent: the MQTT fleet.
 */
import { z } from 'zod';

const TOKEN = /^[A-Za-z0-9_-]{1,32}$/;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const ms = (what: string) => z.number({ error: `expected ${what} in milliseconds (a whole number > 0)` }).int().positive();

/** JetStream fleet settings (defaults here only). */
export const JetStreamFleetSchema = z
  .object({
    /** NATS server URLs, comma-separated (`nats://host:4222,nats://host2:4222`). */
    servers: z.string().regex(/^(nats|tls|wss?):\/\/\S+$/, 'expected nats://host:port (comma-separated for several)').default('nats://127.0.0.1:4222'),
    /** First subject token: readings on `{prefix}.readings.{partition}.{sensor}`, results on `{prefix}.verdicts|alerts|dead...`. */
    prefix: z.string().regex(TOKEN, 'expected one subject token: 1-32 of A-Z a-z 0-9 _ -').default('vigil'),
    /** Stream of the readings (created when missing, limits retention). */
    stream: z.string().regex(NAME, 'expected a stream name: 1-64 of A-Z a-z 0-9 _ -').default('VIGIL_READINGS'),
    /** Stream of verdicts, alerts and dead letters (deduplicated by Nats-Msg-Id). */
    results: z.string().regex(NAME, 'expected a stream name: 1-64 of A-Z a-z 0-9 _ -').default('VIGIL_RESULTS'),
    /** How long readings (and results) are kept. A worker that starts behind this loses what expired. */
    maxAgeMs: ms('stream max age').default(7 * 24 * 3600 * 1000),
    /** Results stream de-duplication window: a verdict judged again within it is dropped by the server. */
    duplicateWindowMs: ms('duplicate window').default(120_000),
    /** A partition lease (and a member entry) not renewed within this expires; TTL of the lease bucket. */
    leaseMs: ms('lease TTL').default(6000),
    /** How often leases and the member entry are renewed; free leases are taken on the same beat. */
    renewMs: ms('lease renewal interval').default(2000),
    /** Readings fetched, judged, saved and acked together per partition (the ack boundary). */
    fetchBatch: z.number().int().min(1).max(10_000).default(256),
    /** Expiry of each pull request the consumer keeps open (nats.js needs >= 1000). */
    fetchWaitMs: z.number().int().min(1000, 'expected at least 1000 ms (nats.js refuses shorter pull expiries)').default(5000),
    /**
     * Bridge: readings taken from MQTT and not yet acknowledged to the broker, at most (JetStream publishes in
     * flight, one per sensor at a time). At this many the bridge stops reading until a quarter is stored. With MQTT 5
     * it is also the Receive Maximum the bridge asks the broker for; with 3.1.1 the broker's own limit applies
     * (Mosquitto: max_inflight_messages, 20 by default).
     */
    bridgeWindow: z.number().int().min(2).max(65_535).default(512),
    /** Publish a verdict per judged reading (`{prefix}.verdicts.{partition}.{sensor}`); alerts are always published. */
    verdicts: z.boolean().default(true),
  })
  .strict()
  .refine((j) => j.renewMs * 2 <= j.leaseMs, { message: 'renewMs must be at most half of leaseMs (a lease must survive one missed renewal)', path: ['renewMs'] });

/** Validated JetStream fleet settings. */
export type JetStreamFleetConfig = z.infer<typeof JetStreamFleetSchema>;
