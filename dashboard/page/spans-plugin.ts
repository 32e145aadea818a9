/** The bands behind a sensor's plots: its model's training rows, labelled windows and alert spans. */
import type uPlot from 'uplot';
import type { Span } from './plots.ts';

/** Shade the training rows, labelled windows, then alert spans, behind the series; alert spans get a marked start. */
export function spansPlugin(get: () => { spans: Span[]; labels: Span[]; trained?: Span }): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u: uPlot) => {
        const { spans, labels, trained } = get();
        if (!spans.length && !labels.length && !trained) return;
        const { ctx, bbox } = u;
        const xMax = u.scales.x.max ?? 0;
        ctx.save();
        if (trained) {
          const x0 = Math.max(bbox.left, u.valToPos(trained.start / 1000, 'x', true));
          const x1 = Math.min(bbox.left + bbox.width, u.valToPos((trained.end ?? xMax * 1000) / 1000, 'x', true));
          if (x1 >= x0) {
            ctx.fillStyle = 'rgba(120, 120, 120, 0.12)';
            ctx.fillRect(x0, bbox.top, Math.max(x1 - x0, 2), bbox.height);
          }
        }
        for (const s of labels) {
          const a = u.valToPos(s.start / 1000, 'x', true);
          const b = u.valToPos((s.end ?? xMax * 1000) / 1000, 'x', true);
          const x0 = Math.max(bbox.left, a);
          const x1 = Math.min(bbox.left + bbox.width, b);
          if (x1 < x0) continue;
          ctx.fillStyle = 'rgba(0, 114, 178, 0.10)';
          ctx.fillRect(x0, bbox.top, Math.max(x1 - x0, 2), bbox.height);
          ctx.fillStyle = 'rgba(0, 114, 178, 0.45)';
          ctx.fillRect(x0, bbox.top + bbox.height - 4 * devicePixelRatio, Math.max(x1 - x0, 2), 4 * devicePixelRatio);
        }
        for (const s of spans) {
          const a = u.valToPos(s.start / 1000, 'x', true);
          const b = u.valToPos((s.end ?? xMax * 1000) / 1000, 'x', true);
          const x0 = Math.max(bbox.left, Math.min(a, b));
          const x1 = Math.min(bbox.left + bbox.width, Math.max(a, b));
          if (x1 < bbox.left || x0 > bbox.left + bbox.width) continue;
          ctx.fillStyle = 'rgba(198, 40, 40, 0.10)';
          ctx.fillRect(x0, bbox.top, Math.max(x1 - x0, 2), bbox.height);
          ctx.fillStyle = 'rgba(198, 40, 40, 0.55)';
          ctx.fillRect(x0, bbox.top, Math.max(1, devicePixelRatio), bbox.height);
        }
        ctx.restore();
      },
    },
  };
}
