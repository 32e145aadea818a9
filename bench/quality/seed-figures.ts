/**
 * vigil's figures across training seeds, from each seed's quality.json (bench/quality/seeds.ts runs the seeds): per
 * set F1, false alarms, events detected (and TEP's protocol detection rate), NAB's three profiles; each with its
 * mean and range.
 */
/** What one seed's quality.json says of vigil (the fields this reads). */
export interface SeedQuality {
  sets: Array<{ name: string; methods: Array<{ method: string; pooled: { f1: number; falseAlarmRate: number; eventsDetected: number }; protocol?: { avgDetectionRate?: number } }> }>;
  nab: { rows: Array<{ method: string; standard: number; lowFP: number; lowFN: number }> } | null;
}

/** One figure of vigil's across the seeds. */
export interface SeedFigure {
  set: string;
  figure: string;
  /** Per seed, in the order of the seeds; NaN where that seed's run lacks it. */
  values: number[];
  /** How the figure is printed: a share as a percentage, else to three decimals (NAB to two). */
  unit: 'share' | 'number' | 'score';
}

/** vigil's figures of each set across the seeds' results (in seed order). */
export function seedFigures(runs: SeedQuality[]): SeedFigure[] {
  const out: SeedFigure[] = [];
  const names = [...new Set(runs.flatMap((r) => r.sets.map((s) => s.name)))];
  const vigil = (r: SeedQuality, set: string) => r.sets.find((s) => s.name === set)?.methods.find((m) => m.method === 'vigil');
  for (const set of names) {
    const at = (f: (m: NonNullable<ReturnType<typeof vigil>>) => number | undefined) => runs.map((r) => {
      const m = vigil(r, set);
      const v = m && f(m);
      return v === undefined ? Number.NaN : v;
    });
    out.push({ set, figure: 'F1', values: at((m) => m.pooled.f1), unit: 'number' });
    out.push({ set, figure: 'false alarms', values: at((m) => m.pooled.falseAlarmRate), unit: 'share' });
    out.push({ set, figure: 'events detected', values: at((m) => m.pooled.eventsDetected), unit: 'number' });
    if (runs.some((r) => vigil(r, set)?.protocol?.avgDetectionRate !== undefined)) out.push({ set, figure: 'detection rate (protocol)', values: at((m) => m.protocol?.avgDetectionRate), unit: 'number' });
  }
  if (runs.some((r) => r.nab)) {
    const nab = (f: (row: { standard: number; lowFP: number; lowFN: number }) => number) => runs.map((r) => {
      const row = r.nab?.rows.find((x) => x.method === 'vigil');
      return row ? f(row) : Number.NaN;
    });
    out.push({ set: 'nab', figure: 'standard', values: nab((r) => r.standard), unit: 'score' });
    out.push({ set: 'nab', figure: 'reward low FP', values: nab((r) => r.lowFP), unit: 'score' });
    out.push({ set: 'nab', figure: 'reward low FN', values: nab((r) => r.lowFN), unit: 'score' });
  }
  return out;
}

/** Mean, least and most of the finite values (NaN when none is). */
export function summarise(values: number[]): { mean: number; min: number; max: number } {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return { mean: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { mean: v.reduce((a, b) => a + b, 0) / v.length, min: Math.min(...v), max: Math.max(...v) };
}

function shown(v: number, unit: SeedFigure['unit']): string {
  if (!Number.isFinite(v)) return '-';
  if (unit === 'share') return `${(100 * v).toFixed(1)}%`;
  return unit === 'score' ? v.toFixed(2) : Number.isInteger(v) ? String(v) : v.toFixed(3);
}

/** The table's rows: set, figure, each seed, mean, range. */
export function seedRows(figures: SeedFigure[]): string[][] {
  return figures.map((f) => {
    const s = summarise(f.values);
    return [f.set, f.figure, ...f.values.map((v) => shown(v, f.unit)), shown(s.mean, f.unit), `${shown(s.min, f.unit)} - ${shown(s.max, f.unit)}`];
  });
}
