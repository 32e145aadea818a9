/**
 * Zod issues as one readable message: each key and what was expected; given the schema, a key it does not know gets
 * the one it most likely meant (`openk`: did you mean 'openK'?). Used for cards, configs and threshold parameters.
 */
import type { z } from 'zod';
import { knownKeys, suggestKey } from './key-suggestion.ts';

/** One line per issue, each key written as `prefix.path` (the prefix alone for the root). */
export function issueLines(issues: readonly z.core.$ZodIssue[], schema?: z.ZodType, prefix?: string): string[] {
  return issues.map((i) => {
    let message = i.message;
    if (schema && i.code === 'unrecognized_keys') {
      const hints = i.keys.flatMap((k) => {
        const s = suggestKey(schema, i.path, k);
        return s ? [`'${k}': did you mean '${s}'?`] : [];
      });
      // No likely meaning: the keys it takes, so the message says what was expected (a probe's `window: { size: 64 }`
      // read only "Unrecognized key").
      const known = hints.length < i.keys.length ? knownKeys(schema, i.path) : [];
      if (known.length) hints.push(`expected ${known.length === 1 ? 'only' : 'one of'} ${known.join(', ')}`);
      if (hints.length) message += ` (${hints.join('; ')})`;
    }
    const path = [...(prefix ? [prefix] : []), ...i.path.map(String)].join('.');
    return `  ${path || '(root)'}: ${message}`;
  });
}

/** `where` is invalid, then one line per issue (`issueLines`). */
export function describeIssues(error: z.ZodError, where: string, schema?: z.ZodType): string {
  return `${where} is invalid:\n${issueLines(error.issues, schema).join('\n')}`;
}

/** The first `max` issues on one line, `path: message` each (a file the last run kept, read back: window tails, codec sessions). */
export function issueSummary(error: z.ZodError, max = 3): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).slice(0, max).join('; ');
}
