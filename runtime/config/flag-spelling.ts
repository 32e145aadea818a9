/**
 * A config key written in a file as its flag takes it (`codec: json`, `threshold: dspot`, `providers: cpu`): the
 * schema wants an object or a list there and said only "expected object, received string" (a probe). The flag table
 * knows the translation, so the message gives the file's spelling, checked against the schema before it is offered.
 */
import type { ZodError } from 'zod';
import { RunConfigSchema } from './schema.ts';
import { FLAGS, applyFlags, longFlag, type FlagKey, type FlagRow } from './flags.ts';
import { valueAt } from './key-path.ts';

type Issue = ZodError['issues'][number];

/**
 * `issue` with a message that names the file's spelling, when its key (of `raw`) holds text where an object or a list
 * is expected and a flag setting that key (or a key inside it) reads that text into a value the schema accepts there.
 */
export function flagSpellingHint(issue: Issue, raw: Record<string, unknown>): Issue {
  const expected = (issue as { expected?: string }).expected;
  if (issue.code !== 'invalid_type' || (expected !== 'object' && expected !== 'array')) return issue;
  const path = issue.path.map(String);
  const text = valueAt(raw, path);
  if (typeof text !== 'string' || !path.length) return issue;
  const key = path.join('.');
  for (const [name, row] of Object.entries(FLAGS) as [FlagKey, FlagRow][]) {
    if (!row.path || (row.path !== key && !row.path.startsWith(`${key}.`))) continue;
    let fixed: Record<string, unknown>;
    try {
      fixed = applyFlags(raw, { [name]: row.repeat ? [text] : text });
    } catch {
      continue;
    }
    const check = RunConfigSchema.safeParse(fixed);
    if (!check.success && check.error.issues.some((i) => i.path.slice(0, path.length).map(String).join('.') === key)) continue;
    const spelled = JSON.stringify(valueAt(fixed, path));
    return { ...issue, message: `expected ${expected === 'object' ? 'an object' : 'a list'}, got ${JSON.stringify(text)}, as the flag ${longFlag(row)} takes it; in a file write ${path[path.length - 1]}: ${spelled}` };
  }
  return issue;
}
