/**
 * The `adapt` section of the run config: learning on the gateway (docs/adapt.md, "In vigil run"). Off by default.
 * When on, the runtime keeps a reservoir of windows it judged clearly normal (and the windows of alerts, as
 * canaries), runs `vigil adapt` on it in a child process on a schedule, hot-swaps what it writes, and rolls it back
 * when the flag rate after the swap leaves its band. The fine-tuning bounds default in `vigil adapt`'s own option
 * table (train/adapt/options.ts); set here, they are passed on as its flags.
 */
import { z } from 'zod';

const ms = (what: string) => z.number({ error: `expected ${what} in milliseconds (a number >= 0)` }).nonnegative();
const share = (what: string) => z.number({ error: `expected ${what}: a fraction in (0, 1]` }).gt(0, `expected ${what}: a fraction in (0, 1]`).max(1, `expected ${what}: a fraction in (0, 1]`);

/** The reservoir of clearly normal windows, per model (runtime/adapt/reservoir.ts). */
export const ReservoirSchema = z
  .object({
    /** Where it is persisted; `{name}` is the served model's name (one file per model). */
    file: z.string().min(1).default('vigil-reservoir-{name}.json'),
    /** Bound on the file (and on the windows held in memory): recent windows, pending ones and canaries together. */
    maxBytes: z.number().int().min(64 * 1024, 'expected at least 65536 bytes').default(16 * 1024 * 1024),
    /** Clearly normal: the window scored under this share of its threshold. */
    normalShare: share('the share of the threshold under which a window is clearly normal').default(0.5),
    /**
     * Guard band, data time: a window waits this long before it enters (an anomalous window of its sensor in that
     * time discards it), and a sensor's windows this long after its last anomalous one or its alert's close stay out.
     */
    guardMs: ms('guard band').default(600_000),
    /** At most one window per sensor per this much data time (overlapping windows say little more). */
    sampleEveryMs: ms('sampling interval').default(30_000),
    /** Alerts whose windows are kept as canaries (the newest), and anomalous windows kept per alert (its first). */
    canaryAlerts: z.number().int().nonnegative().default(20),
    canaryWindows: z.number().int().positive().default(32),
    /**
     * Only an alert whose peak score reached this many times its threshold becomes a canary: marginal alerts just
     * over the bar are what a drifting operating point raises, the very ones adaptation is there to remove.
     */
    canaryMinPeak: z.number().min(1).default(2),
    /** How often it is written when it changed (also before each adaptation and on stop). */
    intervalMs: ms('persist interval').default(300_000),
  })
  .strict();

/** Automatic rollback: the flag rate after a swap, against the one before it. */
export const RollbackSchema = z
  .object({
    /** Scored windows the rates are measured over, before and after the swap. */
    windows: z.number().int().min(10).default(2000),
    /** Roll back when the share flagged after the swap exceeds this many times the share before it ... */
    factor: z.number().min(1).default(3),
    /** ... (the share before it counted as at least this, so a quiet model's 0 % does not make any flag a regression) ... */
    floor: share('the floor of the share flagged before the swap').default(0.01),
    /** ... or exceeds this share outright (null: no ceiling). */
    ceiling: share('the ceiling of the share flagged after the swap').nullable().default(0.25),
  })
  .strict();

/**
 * What starts an attempt (docs/adapt.md, "Trigger"). `schedule`: every `everyMs` once `minNewWindows` entered the
 * reservoir. `drift`: the same, and only while the drift signal (drift-signal.ts) says the scores of recent windows
 * outside alerts and their guard bands have moved above the card's calibration.
 */
export const TriggerSchema = z
  .object({
    kind: z.enum(['schedule', 'drift']).default('schedule'),
    /** Drift: the recent windows (outside alerts and guard bands, all sensors) whose mean score is tested. */
    windows: z.number().int().min(30).default(400),
    /** Drift: fire when their mean score is this many standard errors above the card's mean score. */
    z: z.number().positive().default(3),
    /**
     * Drift: overlapping windows are not independent; this many count as one in the standard error (null: half the
     * card's window over its stride).
     */
    spacing: z.number().positive().nullable().default(null),
  })
  .strict();

/** Adaptation on the gateway. */
export const AdaptSchema = z
  .object({
    enabled: z.boolean().default(false),
    reservoir: ReservoirSchema.prefault({}),
    /** What starts an attempt: the schedule below alone, or the schedule and a drift signal. */
    trigger: TriggerSchema.prefault({}),
    /** At most one adaptation per this much wall time ... */
    everyMs: ms('time between adaptations').default(6 * 3_600_000),
    /** ... and only once this many windows entered the reservoir since the last attempt. */
    minNewWindows: z.number().int().min(1).default(500),
    /** Defer while any sensor is in alert or in its guard band after one (an incident is not the time to learn). */
    pauseOnAlert: z.boolean().default(true),
    /** The original training data replayed so the model does not forget (default: the card's training.data). */
    replay: z.string().min(1).optional(),
    /** `vigil adapt` bounds and settings; unset ones take its defaults (`vigil adapt --help`). */
    maxChange: z.number().positive().optional(),
    maxRise: z.number().nonnegative().optional(),
    maxBarRise: z.number().min(1).optional(),
    minGain: z.number().min(0).lt(1).optional(),
    canaryShare: share('the share of each canary that must stay flagged').optional(),
    /**
     * The anchor (train/adapt/anchor.ts, `vigil adapt --anchor-age`): an adaptation whose recent windows the model
     * serving this long before them flags (more than anchorShare of them) is refused, and the chain of adaptations
     * since that model is rolled back to it: change faster than about one threshold per this long is not learnt, so a
     * fault ramping over hours stays an alert. 0 = off.
     */
    anchorAgeMs: ms('anchor age').default(86_400_000),
    anchorShare: share('the share of recent windows the anchor may flag').optional(),
    /** How the anchor scores the recent windows (`vigil adapt --judge`): static (its default) or tracked, as live. */
    judge: z.enum(['static', 'tracked']).optional(),
    epochs: z.number().int().positive().optional(),
    learningRate: z.number().positive().lt(0.1).optional(),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).optional(),
    threshold: z.enum(['auto', 'keep', 'refit']).optional(),
    /**
     * At a swap (an adaptation or a rollback), each sensor's tracked residual mean starts from the incoming model's
     * mean residual over the sensor's newest this many clearly normal windows (runtime/adapt/reservoir.ts
     * `levelWindows`; 0: from its card, as without adaptation).
     */
    seedWindows: z.number().int().nonnegative().default(32),
    /** The command that runs `vigil adapt` (argv; default: this node with this checkout's bin/vigil.mjs). */
    command: z.array(z.string().min(1)).min(1).optional(),
    /**
     * The CPU priority (nice value) of the `vigil adapt` child: 19, the lowest, lets fine-tuning use only what
     * inference leaves of the cores (bench/adapt-pause.ts); 0 runs it at the runtime's own priority.
     */
    niceness: z.number().int().min(0).max(19).default(19),
    /**
     * On Linux, the fine-tuning child runs under SCHED_IDLE too (`chrt --idle 0`, util-linux): a core only when
     * nothing else wants one (not with niceness 0, the runtime's own priority; never for a rollback, a quick safety
     * action). Where chrt is missing or not permitted, a warning says so and niceness alone applies.
     */
    idle: z.boolean().default(true),
    /** An adaptation still running after this long is stopped and counted as failed. */
    timeoutMs: ms('adaptation time limit').default(30 * 60_000),
    rollback: RollbackSchema.prefault({}),
  })
  .strict();

/** Validated adaptation settings. */
export type AdaptConfig = z.infer<typeof AdaptSchema>;
/** Validated reservoir settings. */
export type ReservoirConfig = z.infer<typeof ReservoirSchema>;
/** Validated trigger settings. */
export type TriggerConfig = z.infer<typeof TriggerSchema>;
/** Validated rollback settings. */
export type RollbackConfig = z.infer<typeof RollbackSchema>;
