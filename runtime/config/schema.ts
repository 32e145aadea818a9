/**
 * The `vigil run` configuration: one zod schema with defaults for everything except the model, so a file is
 * optional. Validated at the edge; the runtime trusts the parsed result. Every error names the key and what
 * was expected (see `load.ts`). Each larger section has a file of its own (broker.ts, source.ts, window.ts,
 * batch.ts, inference.ts, alerts.ts, http.ts, log.ts), assembled here. Defaults live here and nowhere else: the command-line
 * flags (flags.ts) show them, `vigil score` parses its options through these sections too.
 */
import { z } from 'zod';
import { SmoothingConfigSchema } from '../scoring/smoothing.ts';
import { FleetSchema } from '../fleet/config.ts';
import { AdaptSchema } from '../adapt/config.ts';
import { parseThresholdConfig } from '../thresholds/factory.ts';
import { ms, path, port } from './fields.ts';
import { BrokerSchema } from './broker.ts';
import { SourceSchema } from './source.ts';
import { WindowSchema } from './window.ts';
import { BatchSchema } from './batch.ts';
import { InferenceSchema } from './inference.ts';
import { AlertsSchema, DeadLetterSchema } from './alerts.ts';
import { HttpSchema } from './http.ts';
import { GatewaySchema } from './gateway.ts';
import { LogSchema } from './log.ts';

export { BrokerSchema } from './broker.ts';
export { SourceSchema } from './source.ts';
export { WindowSchema } from './window.ts';
export { BatchSchema, BATCH_DEFAULTS } from './batch.ts';
export { InferenceSchema } from './inference.ts';
export { AlertsSchema, DeadLetterSchema } from './alerts.ts';
export { HttpSchema } from './http.ts';
export { GatewaySchema } from './gateway.ts';
export { LogSchema } from './log.ts';

/** The whole configuration. */
export const RunConfigSchema = z
  .object({
    /**
     * Model path without extension (`models/NAME`), or either file. One per process: a list (a gateway serving three
     * lines' models) was refused with only "expected string, received array" (a probe).
     */
    model: z.string({ error: (i) => (Array.isArray(i.input) ? `expected one model path (models/NAME), got a list of ${i.input.length}: vigil run serves one model; run one vigil per model, each with its own config (state.file, metrics.port, broker.clientId, gateway.id)` : undefined) }).min(1),
    broker: BrokerSchema,
    /** Which vigil this is: named in every alert and signal, and a retained online/offline status (gateway.ts). */
    gateway: GatewaySchema.prefault({}),
    source: SourceSchema,
    window: WindowSchema.prefault({}),
    batch: BatchSchema.prefault({}),
    inference: InferenceSchema.prefault({}),
    /** Threshold per sensor, `{ kind, ...params }`; default: the card's. */
    threshold: z
      .object({ kind: z.string().min(1) })
      .passthrough()
      .superRefine((t, ctx) => {
        // Checked here as well as at start, so --print-config and config errors catch an unknown kind or bad value.
        try {
          parseThresholdConfig(t, 'threshold');
        } catch (err) {
          for (const line of (err as Error).message.split('\n')) {
            // Parameters by their path; one for the object itself (a key the kind does not take) at the root: it had
            // been dropped, and `levle: 0.98` accepted without a word (a review).
            const m = /^\s*threshold(?:\.([\w.]+))?: (.*)$/.exec(line);
            if (m) ctx.addIssue({ code: 'custom', message: m[2], path: m[1] ? m[1].split('.') : [] });
          }
        }
      })
      .optional(),
    /** Score smoothing before the threshold: `{ kind: ewma, alpha }`, `{ kind: mean, window }` or none. */
    smoothing: SmoothingConfigSchema.default({ kind: 'none' }),
    alerts: AlertsSchema.prefault({}),
    deadLetter: DeadLetterSchema.prefault({}),
    metrics: z
      .object({ port: port.nullable().default(9464), host: z.string().default('127.0.0.1') })
      .strict()
      .prefault({}),
    /**
     * /health reports degraded (503) while more than `maxDropRate` of the readings of the last `dropWindowMs` were
     * dropped (any reason of vigil_dropped_total: out_of_order, sensor_limit, queue_full, ...; 1: never), and for
     * `dropWindowMs` after the broker lost vigil's persistent session (readings lost upstream, uncounted).
     */
    health: z
      .object({
        maxDropRate: z.number({ error: 'expected a share of readings from 0 to 1' }).min(0).max(1).default(0.01),
        dropWindowMs: ms('drop-rate window').min(1000, 'expected at least 1000 ms').default(60_000),
      })
      .strict()
      .prefault({}),
    state: z
      .object({
        file: path.nullable().default('vigil-state.json'),
        intervalMs: ms('persist interval').default(60_000),
        /**
         * Least time between two saves an alert event (open, escalate, close) asks for; 0: none, alert state is saved
         * with the periodic ones. Such a save appends only the alert states changed since the last one to
         * `<file>-alert-states.json` beside the file (runtime/thresholds/alert-journal.ts).
         */
        alertSaveMs: ms('alert-driven save gap').default(1000),
      })
      .strict()
      .prefault({}),
    reload: z.object({ watch: z.boolean().default(true), debounceMs: ms('debounce').default(500) }).strict().prefault({}),
    /** Share one sensor fleet among several workers with sticky partitions (docs/fleet.md); absent: take everything. */
    fleet: FleetSchema.optional(),
    /** Learning on the gateway: reservoir of clearly normal windows, scheduled `vigil adapt`, automatic rollback (docs/adapt.md). */
    adapt: AdaptSchema.prefault({}),
    /** For the dashboard (served by its own module when set). */
    dashboard: z.object({ port: port.nullable().default(null), host: z.string().default('127.0.0.1') }).strict().prefault({}),
    /** Both HTTP servers (metrics and dashboard): Host allow-list and optional token (runtime/util/http-guard.ts). */
    http: HttpSchema.prefault({}),
    /** Trade some throughput and p99 for less RSS: V8 optimize-for-size and a bounded old generation (process-wide; docs/run.md). */
    lowMemory: z.boolean().default(false),
    /** Log level, alert lines a minute, the verdict lag warned of (log.ts). */
    log: LogSchema.prefault({}),
  })
  .strict();

/** A validated configuration, every default filled in. */
export type RunConfig = z.infer<typeof RunConfigSchema>;
/** What a file or caller may give: defaults may be left out. */
export type RunConfigInput = z.input<typeof RunConfigSchema>;
