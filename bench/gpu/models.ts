/**
 * The two models the GPU bench times, trained briefly with `trainModel` on seeded synthetic pump data and
 * exported to ONNX exactly as `vigil train` does: the conv AE (8 channels x 64 steps) and the dense AE
 * (64 steps x 1 channel, 64-128-32-128-64) of bench/train.ts. Weights only need to be realistic, not good:
 * timings depend on the graph, and the parity check compares two providers on the same weights.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Series } from '@vigil/runtime';
import { selectChannels } from '../../runtime/data/series.ts';
import { sha256 } from '../../runtime/model/load.ts';
import { trainModel, type TrainOptions } from '../../train/train.ts';
import { PUMP_CHANNELS, pumpSeries } from '@vigil/fixtures/pump.ts';

/** One model the runner times: what `manifest.json` lists. */
export interface GpuModel {
  name: string;
  description: string;
  file: string;
  window: number;
  channels: number;
  inputName: string;
  outputName: string;
  sha256: string;
  /** Training that produced the weights (for the record; timings do not depend on it). */
  training: { epochs: number; seed: number; backend: string; valLoss: number | null; seconds: number };
}

/** What the runner reads from the models folder. */
export interface GpuManifest {
  format: 'vigil-gpu-models';
  version: 1;
  models: GpuModel[];
}

const SEED = 1;
const ROWS = 2500;
const EPOCHS = 3;

/** The two architectures, as bench/train.ts builds them. */
const CASES: Array<{ name: string; description: string; channels: string[]; options: Partial<TrainOptions> }> = [
  {
    name: 'conv',
    description: 'conv AE 8ch x 64 (conv 8-16-4, convT 4-16-8, k5 s2)',
    channels: PUMP_CHANNELS,
    options: { arch: 'conv', window: 64, hidden: [16], code: 4, kernel: 5 },
  },
  {
    name: 'dense',
    description: 'dense AE 64-128-32-128-64 (64 steps x 1 channel)',
    channels: ['flow'],
    options: { arch: 'dense', window: 64, hidden: [128], code: 32 },
  },
];

/**
 * Train and export both models into `dir` (NAME.onnx, NAME.json card, NAME.loss.svg) and write
 * `dir/manifest.json`. Reuses a model already there when its card's seed and epochs match and its .onnx hash is
 * the card's, so re-running `npm run bench:gpu` is quick.
 */
export async function buildGpuModels(dir: string, log: (line: string) => void = () => {}): Promise<GpuManifest> {
  mkdirSync(dir, { recursive: true });
  const pump = pumpSeries(ROWS, 7).series;
  const models: GpuModel[] = [];
  for (const c of CASES) {
    const cardPath = join(dir, `${c.name}.json`);
    const onnxPath = join(dir, `${c.name}.onnx`);
    let card = existsSync(cardPath) && existsSync(onnxPath) ? (JSON.parse(readFileSync(cardPath, 'utf8')) as Record<string, any>) : undefined;
    const fresh = card && card.training?.seed === SEED && card.training?.maxEpochs === EPOCHS && card.window === c.options.window
      && card.channels?.length === c.channels.length && sha256(readFileSync(onnxPath)) === card.onnx?.sha256;
    if (!fresh) {
      log(`training ${c.description}: ${EPOCHS} epochs on ${ROWS} rows of synthetic pump data (seed ${SEED})`);
      const series: Series = selectChannels(pump, c.channels);
      const r = await trainModel({ data: series, out: join(dir, c.name), epochs: EPOCHS, patience: 1e6, seed: SEED, ...c.options });
      r.model.dispose();
      card = r.card as unknown as Record<string, any>;
      log(`  ${r.onnxPath}: ${r.seconds.toFixed(1)} s on ${r.backend.description}, val loss ${r.card.training?.valLoss}, export max |diff| ${r.exportMaxAbsDiff.toExponential(1)}`);
    } else log(`reusing ${onnxPath} (seed ${SEED}, ${EPOCHS} epochs)`);
    const t = card!.training;
    models.push({
      name: c.name, description: c.description, file: `${c.name}.onnx`, window: card!.window, channels: card!.channels.length,
      inputName: card!.onnx.inputName, outputName: card!.onnx.outputName, sha256: card!.onnx.sha256,
      training: { epochs: t.epochs, seed: t.seed, backend: t.backendDescription ?? t.backend, valLoss: t.valLoss, seconds: t.seconds },
    });
  }
  const manifest: GpuManifest = { format: 'vigil-gpu-models', version: 1, models };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
