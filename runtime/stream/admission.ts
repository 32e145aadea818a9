/**
 * Admission of sensors into the window stage by topic prefix, so a flood of junk topics cannot push out the real
 * sensors. Each rule `{ prefix, maxSensors }` is a pool of its own; topics matching no rule share the default pool
 * of `window.maxSensors`. A full pool makes room by evicting its least recently seen sensor (counted and logged),
 * so eviction never crosses pools; a rule with `maxSensors: 0` refuses its topics (counted as `sensor_limit`).
 */
import { z } from 'zod';

/** One admission rule: topics starting with `prefix` hold at most `maxSensors` sensors, in a pool of their own. */
export const AdmissionRuleSchema = z
  .object({
    prefix: z.string().min(1, 'expected a topic prefix such as "plant/"'),
    maxSensors: z.number().int().nonnegative('expected an integer >= 0 (0 refuses these topics)'),
  })
  .strict();

/** A validated admission rule. */
export type AdmissionRule = z.infer<typeof AdmissionRuleSchema>;

/** Pools from rules: `poolOf(topic)` for the decode stage, `caps[pool]` for the window stage (the last is the default). */
export interface AdmissionPools {
  poolOf(topic: string): number;
  caps: number[];
  /** Sensors held at most over all pools (what the per-sensor state downstream must hold). */
  capacity: number;
}

/** Build the pools: the first rule whose prefix the topic starts with wins; none: the default pool. */
export function admissionPools(rules: readonly AdmissionRule[] = [], defaultMax: number): AdmissionPools {
  const caps = [...rules.map((r) => r.maxSensors), defaultMax];
  return {
    poolOf(topic) {
      for (let i = 0; i < rules.length; i++) if (topic.startsWith(rules[i].prefix)) return i;
      return rules.length;
    },
    caps,
    capacity: caps.reduce((a, b) => a + b, 0),
  };
}
