/**
 * Pictures of where vigil is wrong: for the runs with the most misjudged rows, vigil's score and threshold per row
 * (log scale) with the labelled faults shaded, drawn with the bench's one plotter (bench/lib/svg.ts).
 */
import { renderFigure } from '../lib/svg.ts';
import type { Figure } from '../lib/result.ts';
import type { SetResult } from './run-set.ts';

/** A plot file: name and SVG text. */
export interface Plot {
  file: string;
  title: string;
  svg: string;
}

/** Up to `perSet` plots per set, worst runs first (false alarms + missed rows of vigil); runs vigil gets right are not plotted. */
export function worstRunPlots(r: SetResult, perSet = 2): Plot[] {
  const vigil = r.methods.find((m) => m.method === 'vigil');
  if (!vigil) return [];
  const wrong = vigil.perRun.map((p) => ({ id: p.id, m: p.metrics, errors: p.metrics.fp + p.metrics.fn })).filter((p) => p.errors > 0);
  wrong.sort((a, b) => b.errors - a.errors);
  return wrong.slice(0, perSet).map(({ id, m }) => {
    const run = r.set.runs.find((x) => x.id === id)!;
    const v = r.vigil.get(id)!;
    const from = Math.max(run.judgeFrom, v.card.window - 1);
    const pts = (a: ArrayLike<number>): Array<[number, number]> => {
      const out: Array<[number, number]> = [];
      for (let i = from; i < a.length; i++) if (a[i] > 0) out.push([i, a[i]]);
      return out;
    };
    const title = `${r.set.name} ${id}: vigil F1 ${m.f1.toFixed(2)}, ${m.fp} false-alarm rows, ${m.fn} missed rows`;
    const fig: Figure = {
      id: `${r.set.name}-${id}`,
      title,
      kind: 'line',
      xLabel: 'row',
      yLabel: 'vigil score',
      logY: true,
      markers: false,
      bands: run.events.map((e) => [e.startRow, e.endRow] as [number, number]),
      series: [
        { name: 'score', points: pts(v.scores) },
        { name: 'threshold', points: pts(v.thresholds) },
      ],
    };
    return { file: `${r.set.name}-${id}.svg`, title, svg: renderFigure(fig) };
  });
}
