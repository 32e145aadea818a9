/**
 * The `vigil run` configuration: one zod schema with defaults for everything except the model, so a file is
 * optional. Validated at the edge; the runtime trusts the parsed result. Every error names the key and what
 * was expected (see `load.ts`).
 */
import { z } from 'zod';
import { CodecConfigSchema } from '../codecs/registry.ts';
import { ChannelPathsSchema, PATH_CODECS } from '../codecs/channel-paths.ts';
import { sparkplugTemplateProblem } from '../codecs/sparkplug.ts';
import { DEFAULT_TIMESTAMP } from '../codecs/codec.ts';
import { KNOWN_PROVIDERS } from '../inference/resolve.ts';
import { SmoothingConfigSchema } from '../scoring/smoothing.ts';
import { FleetSchema } from '../fleet/config.ts';
import { AdaptSchema } from '../adapt/config.ts';
import { compileTopicTemplate } from '../mqtt/topic-template.ts';
import { parseThresholdConfig } from '../thresholds/factory.ts';
import { alertPolicyFields } from '../alerts/tracker.ts';
import { BATCH_DEFAULTS } from '../stream/pipeline.ts';
import { INFER_DEFAULTS } from '../stream/infer-batches.ts';
import { AdmissionRuleSchema } from '../stream/admission.ts';

const ms = (what: string) => z.number({ error: `expected ${what} in milliseconds (a number >= 0)` }).nonnegative();
const port = z.number().int().min(0).max(65535);
const path = z.string().min(1);
/** A key that no longer exists, rejected with what replaced it (a config that relied on it must be looked at). */
const removed = (key: string, instead = 'backlogs are no longer dropped per sensor but scored round-robin; bound their memory with batch.maxPendingBytes') =>
  z.undefined({ error: `${key} was removed: ${instead}` }).optional();

/** Broker connection. */
export const BrokerSchema = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'expected a broker URL: mqtt://, mqtts://, ws:// or wss://host[:port]'),
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
     */
    reconnect: z
      .object({
        minMs: ms('reconnect delay').min(1, 'expected a reconnect delay of at least 1 ms').default(100),
        maxMs: ms('longest reconnect delay').default(30_000),
        quickMs: ms('quick reconnect phase').default(5_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Where readings come from and how payloads are read. */
export const SourceSchema = z
  .object({
    /** Topic templates (`plant/{site}/{device}/telemetry`) or plain filters (`sensors/+/data`). */
    topics: z.array(z.string().min(1)).min(1, 'expected at least one topic'),
    /** Sensor id format from template parts, e.g. `{site}-{device}`. */
    sensorId: z.string().min(1).optional(),
    qos: z.union([z.literal(0), z.literal(1)], { error: 'expected 0 or 1' }).default(0),
    codec: CodecConfigSchema.prefault({ kind: 'json' }),
    /** Model channel -> where it is in the payload: dotted JSON path (`AM2301.Temperature`) or Sparkplug metric name. */
    channels: ChannelPathsSchema.optional(),
    timestamp: z
      .object({
        source: z.enum(['auto', 'payload', 'arrival']).default(DEFAULT_TIMESTAMP.source),
        field: z.string().min(1).default(DEFAULT_TIMESTAMP.field),
        unit: z.enum(['auto', 'ms', 's', 'iso']).default(DEFAULT_TIMESTAMP.unit),
        maxFutureMs: ms('allowed clock skew').default(DEFAULT_TIMESTAMP.maxFutureMs),
      })
      .strict()
      .prefault({}),
    maxPayloadBytes: z.number().int().positive().max(16 * 1024 * 1024).default(64 * 1024),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.channels && !(PATH_CODECS as readonly string[]).includes(s.codec.kind)) {
      ctx.addIssue({ code: 'custom', path: ['channels'], message: `applies to codecs ${PATH_CODECS.join(' and ')}, which read channels by name; codec ${s.codec.kind} reads them by position or topic` });
    }
    // Templates may lack trailing sensorId parts (topic-template.ts), but some template must have each one (typos).
    const parts = (t: string) => [...t.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
    const all = new Set(s.topics.flatMap(parts));
    for (const p of s.sensorId ? parts(s.sensorId) : []) {
      if (!all.has(p)) ctx.addIssue({ code: 'custom', path: ['sensorId'], message: `names {${p}}, which no topic template has (they have ${[...all].map((n) => `{${n}}`).join(', ') || 'none'})` });
    }
    if (s.codec.kind === 'sparkplug') {
      s.topics.forEach((t, i) => {
        const problem = sparkplugTemplateProblem(t, s.sensorId);
        if (problem) ctx.addIssue({ code: 'custom', path: ['topics', i], message: problem });
      });
    }
    // Compiled here too, so a bad template or sensorId format is reported with its key (and by --print-config).
    s.topics.forEach((t, i) => {
      try {
        compileTopicTemplate(t, s.sensorId);
      } catch (err) {
        const msg = (err as Error).message;
        ctx.addIssue({ code: 'custom', message: msg, path: /sensorId format/.test(msg) ? ['sensorId'] : ['topics', i] });
      }
    });
  });

/** Per-sensor reordering and windows (defaults follow the stages': REORDER_DEFAULTS, WINDOW_DEFAULTS). */
export const WindowSchema = z
  .object({
    stride: z.number().int().positive().optional(),
    maxFillAgeMs: ms('forward-fill age').optional(),
    skipIncomplete: z.boolean().optional(),
    gapResetMs: ms('gap before a window reset').optional(),
    /** Sensors held in the default pool; a new one beyond it evicts the least recently seen (counted, logged). */
    maxSensors: z.number().int().positive().optional(),
    /**
     * Pools by topic prefix, e.g. `[{ prefix: "plant/", maxSensors: 500 }]`: matching topics hold up to that many
     * sensors of their own, which no flood on other topics can evict; `maxSensors: 0` refuses the prefix. Topics
     * matching no rule share the default pool (`maxSensors`). The first matching rule wins.
     */
    admission: z.array(AdmissionRuleSchema).optional(),
    idleEvictMs: ms('idle time before eviction').optional(),
    /**
     * Arrival time (ms) before a sensor's newest reading within which its accepted readings are remembered (16 bytes
     * each), so that a repeat of one, as QoS 1 redelivers after a broker restart (readings vigil got since the
     * broker's last save of its sessions), counts as a duplicate (not judged again, no drop) rather than out_of_order.
     */
    duplicateHorizonMs: ms('duplicate horizon').optional(),
    /** ... and the last this many readings of a sensor whatever their age (a slow sensor's copies are far back in time). */
    duplicateHorizonReadings: z.number().int().positive().optional(),
    /** Readings remembered per sensor and over all sensors at most; past either the oldest are forgotten early (counted). */
    duplicateMaxPerSensor: z.number().int().positive().optional(),
    duplicateMaxReadings: z.number().int().positive().optional(),
    duplicateHorizon: removed('window.duplicateHorizon', 'duplicates are remembered by arrival time: window.duplicateHorizonMs (at least window.duplicateHorizonReadings), bounded by window.duplicateMaxPerSensor and window.duplicateMaxReadings'),
    /**
     * Readings of a sensor are held up to this long (ms) and released in timestamp order, so readings a broker
     * redelivers after newer ones (a restart with persistent QoS 1 sessions) are windowed, not dropped as
     * out_of_order; 0 turns reordering off. By default only after the sensor showed disorder (reorderArmMs).
     */
    reorderMs: ms('reorder hold').optional(),
    /** Hold every reading reorderMs (adds reorderMs of latency to every window), not only after disorder. */
    reorderAlways: z.boolean().optional(),
    /** After a sensor's last reading older than one already seen, its readings are held for this long (ms). */
    reorderArmMs: ms('reorder arming').optional(),
    /** Readings held at most per sensor and in all; past either the one due soonest leaves early (order, not data, is lost). */
    reorderMaxPerSensor: z.number().int().positive().optional(),
    reorderMaxReadings: z.number().int().positive().optional(),
  })
  .strict();

/** Micro-batching, backlog scheduling and the memory bound on waiting windows (defaults: the stream stages'). */
export const BatchSchema = z
  .object({
    /** Flush a micro-batch at this many windows ... */
    size: z.number().int().positive().max(65536).default(BATCH_DEFAULTS.size),
    /** ... or this long after its first window. */
    maxWaitMs: ms('batch wait').default(BATCH_DEFAULTS.maxWaitMs),
    /** Largest batch sent to the model when windows queued up during the previous call (batches grow under load). */
    maxBatch: z.number().int().positive().max(65536).default(INFER_DEFAULTS.maxBatch),
    /**
     * Memory the windows waiting for inference may take, in bytes (a waiting window is a view into its sensor's rows: about 320 B plus twice the rows it adds). Backlogs are
     * scored, one lane per sensor served round-robin; only a window that would pass this bound sheds the oldest
     * window of the longest backlog (counted as vigil_dropped_total{reason="queue_full"}, logged at most every 10 s).
     */
    maxPendingBytes: z.number().int().min(4096, 'expected at least 4096 bytes').default(INFER_DEFAULTS.maxPendingBytes),
    /**
     * QoS 1 back-pressure (runtime/mqtt/intake-gate.ts): at this share of maxPendingBytes waiting, stop reading the
     * broker's socket (the held message's PUBACK waits, the broker queues the rest); resume at resumeIntakeAt. The
     * share above pauseIntakeAt holds the windows already on their way (a micro-batch) before anything is shed.
     */
    pauseIntakeAt: z.number().gt(0).max(1, 'expected a share of batch.maxPendingBytes in (0, 1]').default(0.5),
    resumeIntakeAt: z.number().min(0).lt(1, 'expected a share of batch.maxPendingBytes in [0, 1)').default(0.25),
    maxPending: removed('batch.maxPending'),
    maxPendingPerSensor: removed('batch.maxPendingPerSensor'),
  })
  .strict()
  .refine((b) => b.resumeIntakeAt < b.pauseIntakeAt, { message: 'resumeIntakeAt must be below pauseIntakeAt', path: ['resumeIntakeAt'] });

/** Execution providers, in priority order, and ONNX Runtime's CPU budget (docs/run.md, "CPU budget"). */
export const InferenceSchema = z
  .object({
    providers: z.array(z.enum(KNOWN_PROVIDERS)).min(1).default(['cpu', 'wasm']),
    /**
     * Intra-op threads of ONNX Runtime's CPU kernels (0: one per physical core, the library's default). 1 by
     * default: a gateway's other work keeps its cores, and at gateway rates batches are small enough that one
     * thread scores them; raise it for a large model on a dedicated multi-core box. wasm always runs one.
     */
    threads: z.number().int().nonnegative().default(1),
    /** Idle ONNX Runtime threads spin waiting for the next call (the library's default) or sleep (ours). */
    spinning: z.boolean().default(false),
    /**
     * Run onnxruntime-node in a worker thread (one per model session), so decoding and windowing go on while a
     * batch is scored. Off by default: with the default conv model a batch of 64 takes about 0.5 ms, and on a
     * 2-core gateway the worker cost 9-21 % more CPU per reading and 10-14 MB RSS for the same publish -> verdict
     * latency at 1k and 10k readings/s. Turn it on for a model whose batches take milliseconds (intake stops
     * for each call on the main thread; docs/run.md, "Inference off the event loop"). wasm always runs on the
     * main thread.
     */
    worker: z.boolean().default(false),
  })
  .strict();

/** Alerts: hysteresis, destinations, offline queue. */
export const AlertsSchema = z
  .object({
    /** Alert topic; `{sensor}` is replaced by the (validated) sensor id. */
    topic: z.string().min(1).refine((t) => !/[+#]/.test(t), 'expected a topic without + or # wildcards').default('vigil/alerts/{sensor}'),
    qos: z.union([z.literal(0), z.literal(1)]).default(1),
    retain: z.boolean().default(false),
    /** openK of openN to open, closeM quiet to close, cooldownMs: runtime/alerts/tracker.ts, shared with `vigil score`. */
    ...alertPolicyFields,
    /** Channels named in an alert, most contributing first; capped so a wide model cannot make huge alerts. */
    topChannels: z
      .number({ error: 'expected an integer from 1 to 32' })
      .int('expected an integer from 1 to 32')
      .min(1, 'expected an integer from 1 to 32')
      .max(32, 'expected an integer from 1 to 32 (alerts name at most 32 channels)')
      .default(3),
    /** Alerts held while the broker is unreachable, at most (oldest dropped beyond, counted). */
    queueMax: z.number().int().positive().default(10_000),
    /**
     * MQTT 5 message expiry (s): the broker drops an alert nobody fetched within it (a consumer back after a day
     * does not get a day of stale alerts at once). 0: never expires. Not sent over MQTT 3.1.1.
     */
    messageExpirySec: z.number().int().min(0).max(4_294_967_295).default(86_400),
    /**
     * An invalid reading of a known sensor (outside the card's physical ranges: out_of_range; not a finite float32:
     * bad_value) is an anomaly signal of its own: `{"type":"invalid",...}` on the sensor's alert topic (and the
     * webhook), at most one per sensor per intervalMs, saying how many readings it stands for (docs/payloads.md).
     */
    invalid: z
      .object({
        enabled: z.boolean().default(true),
        intervalMs: ms('least time between two signals of one sensor').default(60_000),
      })
      .strict()
      .prefault({}),
    webhook: z
      .object({
        url: z.string().url('expected an http(s) URL'),
        timeoutMs: ms('request timeout').default(5000),
        retries: z.number().int().nonnegative().default(5),
        backoffMs: ms('first retry delay').default(500),
        headers: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((a) => a.openK <= a.openN, { message: 'openK must be <= openN (k of n windows)', path: ['openK'] });

/** Rejected input. */
export const DeadLetterSchema = z
  .object({
    /** Topic for rejected messages (null: none). `{reason}` is replaced by the reason code. */
    topic: z.string().min(1).nullable().default('vigil/deadletter/{reason}'),
    /** JSONL file for rejected messages (null: none). */
    file: path.nullable().default(null),
    /** The file is rotated to `.1` beyond this size. */
    maxFileBytes: z.number().int().positive().default(64 * 1024 * 1024),
  })
  .strict();

/** Who may use the HTTP servers (/metrics, the dashboard): docs/run.md, "HTTP security". */
export const HttpSchema = z
  .object({
    /** Host names served besides localhost, IP addresses and the bind address (DNS rebinding); `*` turns the check off. */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** Bearer token for everything but /health; prefer the VIGIL_HTTP_TOKEN environment variable over writing it here. */
    token: z
      .string()
      .min(16, 'expected at least 16 characters (e.g. the output of `openssl rand -hex 16`)')
      .regex(/^[\x21-\x7e]+$/, 'expected printable ASCII without spaces')
      .optional(),
  })
  .strict();

/** The whole configuration. */
export const RunConfigSchema = z
  .object({
    /** Model path without extension (`models/NAME`), or either file. */
    model: path,
    broker: BrokerSchema,
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
            const m = /^\s*threshold\.([\w.]+): (.*)$/.exec(line);
            if (m) ctx.addIssue({ code: 'custom', message: m[2], path: m[1].split('.') });
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
      .object({ file: path.nullable().default('vigil-state.json'), intervalMs: ms('persist interval').default(60_000) })
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
    /** Trade some throughput for ~10 MB less RSS than the defaults: V8 optimize-for-size (process-wide; docs/run.md). */
    lowMemory: z.boolean().default(false),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .prefault({}),
  })
  .strict();

/** A validated configuration, every default filled in. */
export type RunConfig = z.infer<typeof RunConfigSchema>;
/** What a file or caller may give: defaults may be left out. */
export type RunConfigInput = z.input<typeof RunConfigSchema>;
