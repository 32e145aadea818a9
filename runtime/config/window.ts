/** Config section `window`: per-sensor reordering, windows, admission and duplicates. */
import { z } from 'zod';
import { AdmissionRuleSchema } from '../stream/admission.ts';
import { ms, removed } from './fields.ts';

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
