/** Field helpers shared by the config sections: milliseconds, ports, paths, topics vigil publishes on and keys that were removed. */
import { z } from 'zod';

/** A duration in milliseconds; the message says what it is. */
export const ms = (what: string) => z.number({ error: `expected milliseconds, a number >= 0 or a duration like 500ms, 30s, 10m (${what})` }).nonnegative();
/** A TCP port (0: any free port). */
export const port = z.number().int().min(0).max(65535);
/** A file path. */
export const path = z.string().min(1);
/** A key that no longer exists, rejected with what replaced it (a config that relied on it must be looked at). */
export const removed = (key: string, instead = 'backlogs are no longer dropped per sensor but scored round-robin; bound their memory with batch.maxPendingBytes') =>
  z.undefined({ error: `${key} was removed: ${instead}` }).optional();

/**
 * A publish topic whose `{...}` parts are all among `known`: a misspelt `{sensorr}` was published literally, every
 * sensor's alerts on one topic named `{sensorr}` (a probe).
 */
export const placeholders = (known: string[]) => (t: string | null) => t === null || !/[{}]/.test(known.reduce((rest, k) => rest.replaceAll(`{${k}}`, ''), t));
export const placeholderError = (known: string[]) => (issue: { input: unknown }) =>
  `expected no placeholder but ${known.map((k) => `{${k}}`).join(' or ')}, got '${String(issue.input)}' (it is replaced for each message; another {...}, or a lone brace, would be published as written)`;

/** A topic vigil publishes on: no wildcards, and no placeholder but `known`. */
export const publishTopic = (known: string[]) =>
  z.string().min(1).refine((t) => !/[+#]/.test(t), 'expected a topic without + or # wildcards').refine(placeholders(known), { error: placeholderError(known) });
