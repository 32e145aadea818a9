/** Field helpers shared by the config sections: milliseconds, ports, paths and keys that were removed. */
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
