/**
 * The `fleet` section of the run config: which group a worker joins, how many partitions the sensor fleet is
 * cut into (every worker and publisher must agree), and the membership timing. Absent: the worker takes all
 * messages on its topics, as a single gateway does.
 */
import { z } from 'zod';
import { JetStreamFleetSchema } from './jetstream/config.ts';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Fleet settings. */
export const FleetSchema = z
  .object({
    /** Workers with the same group share the fleet; one MQTT topic level, no wildcards. */
    group: z.string().regex(ID, 'expected 1-64 of A-Z a-z 0-9 _ - . : (no + # / or spaces)'),
    /** Number of partitions; must be the same for every worker and publisher of the group. */
    partitions: z.number().int().min(1).max(4096).default(64),
    /** This worker's id (default: the broker client id, else host-pid). Must be unique in the group. */
    workerId: z.string().regex(ID, 'expected 1-64 of A-Z a-z 0-9 _ - . : (no + # / or spaces)').optional(),
    /** Membership topics live under `{prefix}/{group}/members/{workerId}`. */
    prefix: z.string().min(1).refine((t) => !/[+#]/.test(t) && !t.split('/').includes('..'), 'expected a topic without + # or ..').default('vigil/fleet'),
    /** How often a worker renews its lease. */
    heartbeatMs: z.number().int().positive().default(2000),
    /** A member not heard from for this long is considered gone (its last will usually says so sooner). */
    leaseMs: z.number().int().positive().default(6000),
    /** Wait this long after joining to learn the other members before claiming partitions. */
    settleMs: z.number().int().nonnegative().default(2000),
    /** Publish each owned partition's threshold states (retained) so the next owner continues from them. */
    stateHandover: z.boolean().default(true),
    /** How often the partition states are published (also on a graceful stop). */
    stateIntervalMs: z.number().int().positive().default(10_000),
    /** Coordinate through NATS JetStream instead (leases in KV, durable consumers per partition); run `vigil fleet worker --jetstream`. */
    jetstream: JetStreamFleetSchema.optional(),
  })
  .strict()
  .refine((f) => f.leaseMs > f.heartbeatMs, { message: 'leaseMs must be greater than heartbeatMs', path: ['leaseMs'] });

/** Validated fleet settings. */
export type FleetConfig = z.infer<typeof FleetSchema>;
