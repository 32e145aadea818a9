/**
 * The input of one inference call: a batch's windows copied side by side into one reused Float32Array. A view
 * window's rows go straight from its sensor's log into the input (its `data` becomes a view over it) and the log
 * forgets them; a window cut under another scaler (the model was swapped while it waited) is re-expressed in the
 * model's scale on the way. The input is a view over a scratch buffer that grows and is kept while batch sizes
 * repeat, so the session can reuse its tensor.
 */
import type { ModelCard } from '../model/card.ts';
import type { PipelineCounters } from './counters.ts';
import type { SensorWindow } from './types.ts';

type Scaler = ModelCard['scaler'];

/** The reused batch input of one inferBatches subscription. */
export class BatchInput {
  private scratch = new Float32Array(0);
  /** The last batch's input: a view over `scratch`, kept while batches keep their size. */
  input = this.scratch;

  constructor(
    private readonly maxBatch: number,
    private readonly counters: PipelineCounters,
  ) {}

  /**
   * Copy `batch` into the input for a model of window x channels values per window and scaler `scaler`. Returns
   * the index of the first window of another size (a caller's bug; windows before it were copied), or -1.
   */
  assemble(batch: SensorWindow[], wc: number, C: number, scaler: Scaler): number {
    const n = batch.length;
    if (this.scratch.length < n * wc) this.scratch = new Float32Array(Math.max(n, Math.min(this.maxBatch, 2 * n)) * wc);
    if (this.input.buffer !== this.scratch.buffer || this.input.length !== n * wc) this.input = this.scratch.subarray(0, n * wc);
    const input = this.input;
    for (let i = 0; i < n; i++) {
      const w = batch[i];
      const rows = w.rows;
      const width = rows ? rows.width : w.data.length;
      if (width !== wc) return i;
      if (rows) {
        // A view: its rows go straight into the batch input, and it lets its sensor's log forget them.
        w.rows = undefined;
        if (w.scaler && w.scaler !== scaler) {
          // The model was swapped while it waited (rare): it keeps its own copy, in the scale it was cut in.
          w.data = new Float32Array(wc);
          rows.copyWindow(w.seq, w.data, 0);
          rescaleInto(w.data, w.scaler, scaler, input, i * wc, C);
          this.counters.rescaled++;
        } else {
          rows.copyWindow(w.seq, input, i * wc);
          // A view by the constructor, not subarray() (no species lookup: InferenceLoop.emitScored).
          w.data = new Float32Array(input.buffer, input.byteOffset + i * wc * 4, wc);
        }
        rows.release(w.seq);
      } else if (w.scaler && w.scaler !== scaler) {
        rescaleInto(w.data, w.scaler, scaler, input, i * wc, C);
        this.counters.rescaled++;
      } else input.set(w.data, i * wc);
    }
    return -1;
  }
}

/** Re-express a window scaled with `from` in the scale of `to` (the model was swapped while it waited). */
function rescaleInto(data: Float32Array, fromS: Scaler, toS: Scaler, out: Float32Array, at: number, C: number): void {
  for (let i = 0; i < data.length; i++) {
    const c = i % C;
    out[at + i] = (data[i] * fromS.scale[c] + fromS.offset[c] - toS.offset[c]) / toS.scale[c];
  }
}
