/**
 * A number written as text where the config takes a number (`metrics: { port: "9100" }`, as Ansible and Helm
 * templates often write it): read as that number when the text is one and nothing else, and any other text refused
 * saying what it got (a probe saw only zod's "expected number, received string"). Driven by the schema's issues, so
 * every numeric setting reads alike and a text setting (`broker.clientId: "1234"`) stays text.
 */
import type { z } from 'zod';
import { valueAt } from './key-path.ts';

type Issue = z.core.$ZodIssue;

/** Text that is a number and nothing else: an optional minus, digits, an optional fraction. */
const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;

/** Whether an issue says a number (or one of some numbers: `qos`, `protocolVersion`) was expected there. */
function wantsNumber(issue: Issue): boolean {
  if (issue.code === 'invalid_type') return issue.expected === 'number';
  if (issue.code === 'invalid_value') return issue.values.length > 0 && issue.values.every((v) => typeof v === 'number');
  if (issue.code === 'invalid_union') return issue.errors.length > 0 && issue.errors.every((branch) => branch.length > 0 && branch.every((i) => i.path.length === 0 && wantsNumber(i)));
  return false;
}

/** A copy of `raw` with `value` at `path` (objects and lists copied along the path, the rest shared). */
function withValue(raw: unknown, path: readonly PropertyKey[], value: unknown): unknown {
  if (!path.length) return value;
  const [head, ...rest] = path;
  if (Array.isArray(raw)) return raw.map((v, i) => (i === head ? withValue(v, rest, value) : v));
  const obj = raw as Record<PropertyKey, unknown>;
  return { ...obj, [head]: withValue(obj[head], rest, value) };
}

/**
 * `raw` with each text that is a number, where an issue says a number was expected, read as that number; undefined
 * when there is none (nothing to read again).
 */
export function numbersFromText(raw: unknown, issues: readonly Issue[]): unknown {
  let out = raw;
  let changed = false;
  for (const issue of issues) {
    const value = valueAt(raw, issue.path);
    if (!wantsNumber(issue) || typeof value !== 'string' || !NUMBER_TEXT.test(value)) continue;
    out = withValue(out, issue.path, Number(value));
    changed = true;
  }
  return changed ? out : undefined;
}

/**
 * `issue` saying which text it got where a number was expected: zod's own words replaced (`expected a number, got the
 * string "9,100"`), a message of the schema's own kept and the text added to it.
 */
export function numberTextHint<I extends Issue>(issue: I, value: unknown): I {
  if (typeof value !== 'string' || !wantsNumber(issue)) return issue;
  const got = `got the string ${JSON.stringify(value)}`;
  const message = issue.message.startsWith('Invalid input') ? `expected a number, ${got} (write the number alone: digits, no separators or units)` : `${issue.message}, ${got}`;
  return { ...issue, message };
}
