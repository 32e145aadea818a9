/**
 * Codecs by name: a serialisable config (`{ kind, ...options }`) and the factory that builds a fresh codec
 * from it. Unknown kinds and bad options are rejected with what was expected.
 */
import { z } from 'zod';
import type { Codec, CodecContext } from './codec.ts';
import { bareNumberCodec } from './bare-number.ts';
import { csvLineCodec } from './csv-line.ts';
import { jsonArrayCodec } from './json-array.ts';
import { jsonObjectCodec } from './json-object.ts';
import { sparkplugCodec } from './sparkplug.ts';
import { byContentType } from './content-type.ts';

/** Codec names accepted in config. */
export const CODEC_KINDS = ['json', 'json-array', 'csv', 'number', 'sparkplug'] as const;
/** One codec name. */
export type CodecKind = (typeof CODEC_KINDS)[number];

/** Codec config: the kind and its options. */
export const CodecConfigSchema = z
  .object({
    kind: z.enum(CODEC_KINDS),
    /** csv: field delimiter. */
    delimiter: z.string().min(1).max(4).default(','),
    /** number, sparkplug: values of one sensor within this many ms join into one reading (row-joiner.ts). */
    joinToleranceMs: z.number().nonnegative().default(100),
    /** sparkplug: at most one rebirth request (NCMD) per edge node per this many ms; null: never ask (passive listener). */
    rebirthIntervalMs: z.number().int().nonnegative().nullable().default(5000),
    /** An MQTT 5 content type naming another codec picks it for that message (content-type.ts, docs/payloads.md). */
    byContentType: z.boolean().default(true),
  })
  .strict();
/** Codec config. */
export type CodecConfig = z.infer<typeof CodecConfigSchema>;

/** Build the codec a config names (wrapped so MQTT 5 content types can pick another, unless turned off). */
export function createCodec(input: z.input<typeof CodecConfigSchema>, ctx: CodecContext): Codec {
  // Parsed here too, so a config built in code gets the schema's defaults (the only place they live).
  const cfg = CodecConfigSchema.parse(input);
  const base = codecOfKind(cfg, ctx);
  if (!cfg.byContentType) return base;
  return byContentType(base, cfg.kind, (kind) => codecOfKind({ ...cfg, kind }, ctx));
}

function codecOfKind(cfg: CodecConfig, ctx: CodecContext): Codec {
  switch (cfg.kind) {
    case 'json':
      return jsonObjectCodec(ctx);
    case 'json-array':
      return jsonArrayCodec(ctx);
    case 'csv':
      return csvLineCodec(ctx, cfg.delimiter);
    case 'number':
      return bareNumberCodec(ctx, { toleranceMs: cfg.joinToleranceMs, maxPending: 100_000 });
    case 'sparkplug':
      return sparkplugCodec(ctx, { rebirthIntervalMs: cfg.rebirthIntervalMs, joinToleranceMs: cfg.joinToleranceMs });
    default:
      throw new Error(`unknown codec '${(cfg as { kind: string }).kind}'; expected one of ${CODEC_KINDS.join(', ')}`);
  }
}
