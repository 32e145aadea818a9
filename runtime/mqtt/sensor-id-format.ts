/**
 * Build a sensor id from the parts a topic template captured, so that two different topics can never give
 * the same id. Parts are joined by a separator (`.` by default, or the text between the parts of a `sensorId`
 * format such as `{site}-{device}`), and every part except the last may not contain the first character of
 * the separator that follows it: then the id reads back into its parts in exactly one way (`a.b` + `c` and
 * `a` + `b.c` cannot both be accepted). Empty parts are refused too (`plant//ab/data` is not `plant/a/b/data`).
 */

type Token = { kind: 'text'; text: string } | { kind: 'part'; name: string };

/** Builds ids from captured parts, or says why a topic's parts cannot make one. */
export interface SensorIdFormat {
  /** The format as written, or the default description. */
  readonly format: string;
  /** The id for these parts (`parts` by name, anonymous `+` levels in order), or why there is none. */
  build(parts: Record<string, string>, anon: readonly string[]): { id: string } | { error: string };
}

/** Characters allowed in the literal text of a `sensorId` format (the sensor id alphabet). */
const FORMAT_TEXT = /^[A-Za-z0-9_.:-]*$/;

/** Split `{site}-{device}` into text and part tokens. */
function tokenize(format: string): Token[] {
  const out: Token[] = [];
  let last = 0;
  for (const m of format.matchAll(/\{([^}]*)\}/g)) {
    out.push({ kind: 'text', text: format.slice(last, m.index) });
    out.push({ kind: 'part', name: m[1] });
    last = m.index! + m[0].length;
  }
  out.push({ kind: 'text', text: format.slice(last) });
  return out;
}

/**
 * Compile a `sensorId` format (throws, saying what to write instead, when it could make ambiguous or invalid
 * ids), or the default: `named` parts (then `anonCount` `+` levels) joined by `.`.
 */
export function compileSensorIdFormat(format: string | undefined, named: readonly string[], anonCount: number): SensorIdFormat {
  const tokens: Token[] = [];
  if (format === undefined) {
    const labels = [...named.map((n) => ({ kind: 'part' as const, name: n })), ...Array.from({ length: anonCount }, (_, i) => ({ kind: 'part' as const, name: `+${i + 1}` }))];
    tokens.push({ kind: 'text', text: '' });
    labels.forEach((p, i) => tokens.push(p, { kind: 'text', text: i === labels.length - 1 ? '' : '.' }));
  } else {
    tokens.push(...tokenize(format));
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.kind !== 'text') continue;
      if (!FORMAT_TEXT.test(t.text)) {
        throw new Error(`sensorId format '${format}': text '${t.text}' may only use A-Z a-z 0-9 _ - . : (sensor ids become alert topic levels; no / + # or spaces)`);
      }
      const prev = tokens[i - 1];
      const next = tokens[i + 1];
      if (t.text === '' && prev?.kind === 'part' && next?.kind === 'part') {
        throw new Error(
          `sensorId format '${format}': {${prev.name}} and {${next.name}} need a separator between them, e.g. '{${prev.name}}.{${next.name}}'; without one two topics can give the same id ('ab' + 'c' and 'a' + 'bc')`,
        );
      }
    }
  }
  const parts = tokens.flatMap((t, i) => (t.kind === 'part' ? [{ name: t.name, index: i }] : []));
  const label = (name: string) => (name.startsWith('+') ? `'+' level ${name.slice(1)}` : `{${name}}`);

  return {
    format: format ?? parts.map((p) => label(p.name)).join('.'),
    build(named, anon) {
      const value = (name: string) => (name.startsWith('+') ? anon[Number(name.slice(1)) - 1] : named[name]) ?? '';
      let id = '';
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i];
        if (t.kind === 'text') {
          id += t.text;
          continue;
        }
        const v = value(t.name);
        if (v === '') return { error: `the ${label(t.name)} level is empty; expected a name` };
        const isLast = parts.at(-1)!.index === i;
        const sep = (tokens[i + 1] as { text: string }).text[0];
        if (!isLast && sep !== undefined && v.includes(sep)) {
          const nextPart = parts.find((p) => p.index > i)!;
          return {
            error: `the ${label(t.name)} level '${v}' contains '${sep}', which separates it from ${label(nextPart.name)} in the sensor id, so the id would be ambiguous; rename it, or choose another separator in source.sensorId`,
          };
        }
        id += v;
      }
      return { id };
    },
  };
}
