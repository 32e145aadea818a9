/**
 * Build a threshold from its serialisable config `{ kind, ...params }` (validated: unknown kinds, unknown
 * keys and bad values are rejected with a message naming the key and what was expected), and rebuild one
 * exactly from `toJSON()` output. The card supplies the static level and the warm-start statistics.
 */
import { z } from 'zod';
import type { RestorableThreshold, Threshold, ThresholdState } from './threshold.ts';
import { seedFromCard, type CardLike } from './seed.ts';
import { StaticConfigSchema, StaticThreshold } from './static.ts';
import { QuantileConfigSchema, QuantileThreshold } from './quantile.ts';
import { EwmaConfigSchema, EwmaThreshold } from './ewma.ts';
import { MadConfigSchema, MadThreshold } from './mad.ts';
import { SpotConfigSchema, SpotThreshold } from './spot.ts';
import { DspotConfigSchema, DspotThreshold } from './dspot.ts';
import { TelemanomConfigSchema, TelemanomThreshold } from './telemanom.ts';
import { GATE_KEYS, GateConfigSchema, GatedThreshold, type GateConfig, type GatedKindConfig } from './gate.ts';
import { issueLines } from '../util/describe-issues.ts';

/** Every threshold kind: its config schema and a constructor from parsed config, seed and card. */
const KINDS = {
  static: {
    schema: StaticConfigSchema,
    make: (c: z.output<typeof StaticConfigSchema>, card?: CardLike): Threshold => {
      const value = c.value ?? card?.threshold.static.value;
      if (value === undefined) throw new Error('threshold.value: expected a number > 0 (no model card to take the static calibration from)');
      return new StaticThreshold(value);
    },
  },
  quantile: { schema: QuantileConfigSchema, make: (c: z.output<typeof QuantileConfigSchema>, card?: CardLike) => new QuantileThreshold(c, seedFromCard(card)) },
  ewma: { schema: EwmaConfigSchema, make: (c: z.output<typeof EwmaConfigSchema>, card?: CardLike) => new EwmaThreshold(c, seedFromCard(card)) },
  mad: { schema: MadConfigSchema, make: (c: z.output<typeof MadConfigSchema>, card?: CardLike) => new MadThreshold(c, seedFromCard(card)) },
  spot: { schema: SpotConfigSchema, make: (c: z.output<typeof SpotConfigSchema>, card?: CardLike) => new SpotThreshold(c, seedFromCard(card)) },
  dspot: { schema: DspotConfigSchema, make: (c: z.output<typeof DspotConfigSchema>, card?: CardLike) => new DspotThreshold(c, seedFromCard(card)) },
  telemanom: { schema: TelemanomConfigSchema, make: (c: z.output<typeof TelemanomConfigSchema>, card?: CardLike) => new TelemanomThreshold(c, seedFromCard(card)) },
} as const;

/** Names of the threshold kinds, as used in config. */
export type ThresholdKind = keyof typeof KINDS;
/** All kind names. */
export const THRESHOLD_KINDS = Object.keys(KINDS) as ThresholdKind[];

/** Validate a threshold config; returns it with defaults filled in, or throws naming each bad key. */
export function parseThresholdConfig(config: unknown, where = 'threshold'): { kind: ThresholdKind } & Record<string, unknown> {
  const kind = (config as { kind?: unknown } | null)?.kind;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new Error(`${where}: expected an object { kind, ...params }, got ${JSON.stringify(config)}`);
  }
  if (typeof kind !== 'string' || !(kind in KINDS)) {
    throw new Error(`${where}.kind: expected one of ${THRESHOLD_KINDS.join(', ')}; got ${JSON.stringify(kind)}`);
  }
  // Adaptive kinds also take the learning gate's options (gate.ts), validated once here for all of them.
  const own: Record<string, unknown> = {};
  const gate: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) ((kind !== 'static' && (GATE_KEYS as string[]).includes(k)) ? gate : own)[k] = v;
  const res = KINDS[kind as ThresholdKind].schema.safeParse(own);
  const g = kind === 'static' ? undefined : GateConfigSchema.safeParse(gate);
  const lines = [
    ...(res.success ? [] : issueLines(res.error.issues, KINDS[kind as ThresholdKind].schema, where)),
    ...(g && !g.success ? issueLines(g.error.issues, GateConfigSchema, where) : []),
  ];
  if (lines.length) throw new Error(`${where} (kind ${kind}) is invalid:\n${lines.join('\n')}`);
  return { ...(res.data as object), ...(g?.data ?? {}) } as { kind: ThresholdKind } & Record<string, unknown>;
}

/** Build a threshold from config; `card` supplies the static level and warm-start statistics. */
export function createThreshold(config: unknown, card?: CardLike, where = 'threshold'): Threshold {
  const c = parseThresholdConfig(config, where);
  const spec = KINDS[c.kind] as { make: (c: unknown, card?: CardLike) => Threshold };
  const t = spec.make(c, card);
  // Every adaptive kind learns through the gate: no incident, nor its guard bands, enters its state.
  if (c.kind === 'static') return t;
  const gate = c as unknown as GateConfig & GatedKindConfig;
  const cardLevel = card?.threshold.static.value;
  const floor = cardLevel !== undefined && Number.isFinite(cardLevel) ? gate.floorShare * cardLevel : 0;
  return new GatedThreshold(t as RestorableThreshold, gate, floor);
}

/** Rebuild a threshold from `toJSON()` output; throws a message naming what is wrong when it does not fit. */
export function restoreThreshold(saved: ThresholdState, card?: CardLike, where = 'saved threshold'): Threshold {
  if (!saved || typeof saved !== 'object' || typeof saved.config !== 'object' || typeof saved.state !== 'object' || saved.state === null) {
    throw new Error(`${where}: expected { kind, config, state }`);
  }
  const t = createThreshold({ ...saved.config, kind: saved.kind }, card, `${where}.config`);
  if ('restore' in t) (t as RestorableThreshold).restore(saved.state);
  return t;
}

/**
 * Why a saved threshold cannot be restored under the configured one, `want` (its parsed config as JSON), or
 * undefined: its config differs, or is not one.
 */
export function savedConfigProblem(saved: ThresholdState, want: string): string | undefined {
  let config: string;
  try {
    config = JSON.stringify(parseThresholdConfig({ ...saved?.config, kind: saved?.kind }, 'saved threshold'));
  } catch (err) {
    return (err as Error).message;
  }
  return config === want ? undefined : `saved threshold ${config} differs from the configured ${want}`;
}
