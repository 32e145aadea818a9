/** The `--threshold` option: `kind`, `kind,key=value,...` or a JSON object, turned into a threshold config. */

/** Parse a threshold spec; the factory validates the keys and values. */
export function parseThresholdOption(spec: string): { kind: string } & Record<string, unknown> {
  const s = spec.trim();
  if (s.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(s);
    } catch (err) {
      throw new Error(`--threshold: not valid JSON (${(err as Error).message}); expected e.g. '{"kind":"spot","q":0.0001}'`);
    }
    if (typeof json !== 'object' || json === null || typeof (json as { kind?: unknown }).kind !== 'string') {
      throw new Error(`--threshold: expected a JSON object with a "kind", got ${s}`);
    }
    return json as { kind: string };
  }
  const [kind, ...pairs] = s.split(',').map((p) => p.trim());
  if (!kind || kind.includes('=')) throw new Error(`--threshold: expected a kind first, e.g. 'spot' or 'spot,q=1e-4'; got '${spec}'`);
  const out: { kind: string } & Record<string, unknown> = { kind };
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`--threshold: '${p}' is not key=value (in '${spec}')`);
    const key = p.slice(0, eq);
    const raw = p.slice(eq + 1);
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}
