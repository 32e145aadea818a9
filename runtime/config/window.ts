/** Config section `window`: per-sensor reordering, windows, admission and duplicates. */
import { z } from 'zod';
import { AdmissionRuleSchema } from '../stream/admission.ts';
import { ms, removed } from './fields.ts';

/**
 * Per-sensor reordering and windows. The defaults live here; windowBySensor and reorderBySensor fall back to them
 * (`WINDOW_CONFIG_DEFAULTS`) only when used without a config. Reordering: holding every reading would add the hold
 * to every alert (bench/sustained.ts, 100 sensors at 2,000/s: p50 publish -> alert 272 ms with 250 ms always held,
 * 5.5 ms with these defaults, 7.6 ms with the stage off), so a sensor holds only after it showed disorder. While it
 * holds, the hold is latency for each of its readings; 1 s spans a broker's redelivery burst after a restart
 * (docs/pipeline.md, "Reordering").
 */
export const WindowSchema = z
  .object({
    stride: z.number().int().positive().default(1),
    maxFillAgeMs: ms('forward-fill age').default(60_000),
    skipIncomplete: z.boolean().default(false),
    /**
     * Restart a sensor's window after a gap in its timestamps longer than this; 'never': no gap does. Absent: a gap
     * longer than a whole window of readings (the card's window x readingIntervalMs), which a window would otherwise
     * span as if its rows were consecutive (never when the interval is unknown or 0).
     */
    gapResetMs: z.union([ms('gap before a window reset'), z.literal('never')], { error: "expected the gap before a window reset in milliseconds (a number >= 0) or 'never'" }).optional(),
    /**
     * The readings' usual spacing in data time (ms): a step of 1.75 of it or more is a gap, its readings counted as
     * missing (vigil_readings_missing_total, a warning, /health). Absent: the model card's training interval
     * (data.intervalMs); 0: none counted (sensors that report by exception).
     */
    readingIntervalMs: ms('usual interval between readings').optional(),
    /** Sensors held in the default pool; a new one beyond it evicts the least recently seen (counted, logged). */
    maxSensors: z.number().int().positive().default(10_000),
    /**
     * Pools by topic prefix, e.g. `[{ prefix: "plant/", maxSensors: 500 }]`: matching topics hold up to that many
     * sensors of their own, which no flood on other topics can evict; `maxSensors: 0` refuses the prefix. Topics
     * matching no rule share the default pool (`maxSensors`). The first matching rule wins.
     */
    admission: z.array(AdmissionRuleSchema).optional(),
    /**
     * A sensor not heard from for this long (arrival time) is forgotten; never sooner than a whole window of readings at
     * the readings' interval (data-gaps.ts `idleKeepMs`), a quiet spell that would restart no window.
     */
    idleEvictMs: ms('idle time before eviction').default(3_600_000),
    /**
     * Arrival time (ms) before a sensor's newest reading within which its accepted readings are remembered (16 bytes
     * each), so that a repeat of one, as QoS 1 redelivers after a broker restart (readings vigil got since the
     * broker's last save of its sessions), counts as a duplicate (not judged again, no drop) rather than out_of_order.
     */
    duplicateHorizonMs: ms('duplicate horizon').default(10_000),
    /** ... and the last this many readings of a sensor whatever their age (a slow sensor's copies are far back in time). */
    duplicateHorizonReadings: z.number().int().positive().default(64),
    /** Readings remembered per sensor and over all sensors at most; past either the oldest are forgotten early (counted). */
    duplicateMaxPerSensor: z.number().int().positive().default(65_536),
    duplicateMaxReadings: z.number().int().positive().default(524_288),
    duplicateHorizon: removed('window.duplicateHorizon', 'duplicates are remembered by arrival time: window.duplicateHorizonMs (at least window.duplicateHorizonReadings), bounded by window.duplicateMaxPerSensor and window.duplicateMaxReadings'),
    /**
     * Readings of a sensor are held up to this long (ms) and released in timestamp order, so readings a broker
     * redelivers after newer ones (a restart with persistent QoS 1 sessions) are windowed, not dropped as
     * out_of_order; 0 turns reordering off. By default only after the sensor showed disorder (reorderArmMs).
     */
    reorderMs: ms('reorder hold').default(1000),
    /** Hold every reading reorderMs (adds reorderMs of latency to every window), not only after disorder. */
    reorderAlways: z.boolean().default(false),
    /** After a sensor's last reading older than one already seen, its readings are held for this long (ms). */
    reorderArmMs: ms('reorder arming').default(60_000),
    /** Readings held at most per sensor and in all; past either the one due soonest leaves early (order, not data, is lost). */
    reorderMaxPerSensor: z.number().int().positive().default(8192),
    reorderMaxReadings: z.number().int().positive().default(32_768),
  })
  .strict();

/** The `window` section's defaults, for the stages when they are used without a config. */
export const WINDOW_CONFIG_DEFAULTS = WindowSchema.parse({});
