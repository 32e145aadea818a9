/** The "score a file" panel: drop a CSV, NAME.onnx and NAME.json; scored with onnxruntime-web in this tab. */
import { scoreFile, scoresCsv, type FileScores } from './score-file.ts';
import { SensorPlots, type RawRow, type ScoreRow } from './plots.ts';
import { labelSpans, spansFromEvents } from '../spans.ts';
import { esc, displayNumber, rate } from './format.ts';
import { scoreLabelOf } from '@vigil/runtime/model/score-label.ts';

interface Picked {
  csv?: File;
  onnx?: File;
  card?: File;
}

/** The panel's state: the files picked so far, the plots of the last result, whether a file is being scored. */
class ScoringPanel {
  private readonly picked: Picked = {};
  private plots: SensorPlots | null = null;
  private busy = false;

  constructor(private readonly zone: HTMLElement, private readonly result: HTMLElement) {}

  chips(): void {
    const chip = (label: string, f: File | undefined) =>
      `<span class="chip ${f ? 'chip-ok' : ''}">${f ? '✓' : '○'} ${esc(label)}: ${f ? `${esc(f.name)} <span class="dim">${(f.size / 1024).toFixed(1)} KiB</span>` : '<span class="dim">missing</span>'}</span>`;
    (this.zone.querySelector('.chips') as HTMLElement).innerHTML = chip('data', this.picked.csv) + chip('model', this.picked.onnx) + chip('card', this.picked.card);
  }

  private status(html: string, cls = ''): void {
    const el = this.result.querySelector('.score-status') as HTMLElement;
    el.className = `score-status ${cls}`;
    el.innerHTML = html;
  }

  /** Take dropped or chosen files by their extension; score once data, model and card are all there. */
  async add(files: Iterable<File>): Promise<void> {
    for (const f of files) {
      const n = f.name.toLowerCase();
      if (n.endsWith('.onnx')) this.picked.onnx = f;
      else if (n.endsWith('.json')) this.picked.card = f;
      else if (n.endsWith('.csv') || n.endsWith('.txt') || n.endsWith('.tsv')) this.picked.csv = f;
      else this.status(`${esc(f.name)}: not a .csv, .onnx or .json file; ignored`, 'error');
    }
    this.chips();
    if (this.picked.csv && this.picked.onnx && this.picked.card && !this.busy) await this.run();
  }

  private async run(): Promise<void> {
    this.busy = true;
    const { csv, onnx, card } = this.picked as Required<Picked>;
    this.status(`Scoring ${esc(csv.name)} with onnxruntime-web (wasm) through the vigil pipeline…`, 'busy');
    try {
      const r = await scoreFile({
        csv: { name: csv.name, text: await csv.text() },
        onnx: new Uint8Array(await onnx.arrayBuffer()),
        card: { name: card.name, text: await card.text() },
      });
      this.show(r, csv.name);
      (window as unknown as { vigilScore: unknown }).vigilScore = {
        ts: Array.from(r.series.timestamps),
        scores: Array.from(r.scores),
        thresholds: Array.from(r.thresholds),
        alerts: Array.from(r.alerts),
        scored: Array.from(r.scored),
        anomalies: Array.from(r.anomalies),
        events: r.events.length,
        provider: r.provider,
      };
    } catch (err) {
      this.status(`Could not score: ${esc((err as Error).message)}`, 'error');
      (window as unknown as { vigilScore: unknown }).vigilScore = { error: (err as Error).message };
    } finally {
      this.busy = false;
    }
  }

  private show(r: FileScores, file: string): void {
    const rows = r.scores.length;
    const { raw, scores, max, flagged } = plotRows(r);
    const spans = spansFromEvents(r.events);
    this.status(
      `<b>${esc(file)}</b>: ${rows.toLocaleString()} rows, ${scores.length.toLocaleString()} windows scored in ${r.elapsedMs.toFixed(0)} ms (${rate((scores.length / r.elapsedMs) * 1000)}; ${r.loadMs.toFixed(0)} ms to load the model) on <b>${esc(r.provider)}</b> · model <b>${esc(r.card.name)}</b> v${esc(r.card.version)} · ${flagged} anomalous windows · ${spans.length} alert${spans.length === 1 ? '' : 's'} · max score ${displayNumber(max)} (threshold now ${displayNumber(r.thresholds[rows - 1])}) <a class="button" id="download-scores" download="${esc(file.replace(/\.\w+$/, ''))}.scores.csv">Download scores CSV</a>`,
      'done',
    );
    const url = URL.createObjectURL(new Blob([scoresCsv(r)], { type: 'text/csv' }));
    (this.result.querySelector('#download-scores') as HTMLAnchorElement).href = url;
    this.plots?.destroy();
    this.plots = new SensorPlots(this.result.querySelector('.score-plots') as HTMLElement, r.card.channels, { scoreLabel: scoreLabelOf(r.card) });
    // A label column (runtime/data/labels.ts), as `vigil score --report` draws it: blue bands.
    const labels = labelSpans(r.series);
    this.plots.setData({ channels: r.card.channels, raw, scores, spans, labels });
  }
}

/** A scored file's rows for the plots: raw rows in original units, the scored windows, the top score, the flagged count. */
function plotRows(r: FileScores): { raw: RawRow[]; scores: ScoreRow[]; max: number; flagged: number } {
  const rows = r.scores.length;
  const C = r.card.channels.length;
  const raw: RawRow[] = Array.from(r.series.timestamps, (t, i) => [t, ...Array.from(r.series.data.subarray(i * C, (i + 1) * C))]);
  const scores: ScoreRow[] = [];
  let max = -Infinity;
  let flagged = 0;
  for (let i = 0; i < rows; i++) {
    if (!r.scored[i]) continue;
    scores.push([r.series.timestamps[i], r.scores[i], r.thresholds[i], r.anomalies[i]]);
    max = Math.max(max, r.scores[i]);
    flagged += r.anomalies[i];
  }
  return { raw, scores, max, flagged };
}

/** Attach the drop zone and result area; results also land on `window.vigilScore` for tests. */
export function mountScoring(zone: HTMLElement, result: HTMLElement): void {
  const panel = new ScoringPanel(zone, result);
  const input = zone.querySelector('input[type=file]') as HTMLInputElement;
  zone.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    if (ev.dataTransfer?.files) void panel.add(Array.from(ev.dataTransfer.files));
  });
  input.addEventListener('change', () => {
    if (input.files) void panel.add(Array.from(input.files));
    input.value = '';
  });
  panel.chips();
}
