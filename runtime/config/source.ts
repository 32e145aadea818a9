/** Config section `source`: topics, codec, channels and timestamps of incoming readings. */
import { z } from 'zod';
import { CodecConfigSchema } from '../codecs/registry.ts';
import { ChannelPathsSchema, PATH_CODECS } from '../codecs/channel-paths.ts';
import { sparkplugTemplateProblem } from '../codecs/sparkplug-topics.ts';
import { DEFAULT_TIMESTAMP, NOT_BEFORE_DEFAULT } from '../codecs/codec.ts';
import { parseTimestamp } from '../data/timestamp.ts';
import { compileTopicTemplate } from '../mqtt/topic-template.ts';
import { ms } from './fields.ts';

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
        /** Readings stamped before this are refused (bad_timestamp): a date such as 2000-01-01, or epoch ms. */
        notBefore: z
          .union([z.number(), z.string()])
          .transform((v, ctx) => {
            const t = typeof v === 'number' ? v : parseTimestamp(v);
            if (!Number.isFinite(t)) ctx.addIssue({ code: 'custom', message: `expected a date such as 2000-01-01 or epoch milliseconds, got ${JSON.stringify(v)}` });
            return t;
          })
          .default(NOT_BEFORE_DEFAULT),
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
