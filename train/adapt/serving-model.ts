/**
 * The serving model back in tfjs, to fine-tune from: the layer list from the card (`architecture.params.layers`,
 * the same list that trained and exported it) and the weights from the ONNX file's initializers, reordered back
 * from ONNX's layouts (each op's `fromOnnx`, the inverse of its `emitOnnx`). Nothing beside the
 * model pair is needed, so every model ever exported can be adapted; `adaptModel` checks the rebuilt model
 * against ONNX Runtime before training it (max |diff| on the held-back windows).
 */
import { type LoadedModel, type ModelCard } from '@vigil/runtime';
import { holdConstants } from '@vigil/runtime/scoring/constant-inputs.ts';
import type { WindowBatch } from '../engine.ts';
import { ONNX } from '../export/proto.ts';
import { Autoencoder, type LayerWeights } from '../models/autoencoder.ts';
import { opOf } from '../models/ops/index.ts';
import { termsFromParams, traceShapes, weightShapes, type LayerSpec, type ModelSpec } from '../models/spec.ts';

/** The model spec a card describes (layers, loss, training-only terms). */
export function specFromCard(loaded: LoadedModel): ModelSpec {
  const { card } = loaded;
  const p = card.architecture.params as { layers?: LayerSpec[] };
  if (!Array.isArray(p.layers) || p.layers.length === 0) {
    throw new Error(`${loaded.cardPath}: architecture.params.layers is missing; this card predates layer lists in cards (retrain with vigil train to adapt it)`);
  }
  const terms = termsFromParams(card.architecture.params);
  const spec: ModelSpec = { arch: card.architecture.kind, window: card.window, channels: card.channels.length, loss: card.architecture.loss, layers: p.layers, terms };
  traceShapes(spec);
  return spec;
}

/** Float32 values of an initializer (raw little-endian bytes, or float_data). */
function floats(t: import('onnx-proto').onnx.ITensorProto): Float32Array {
  if (t.rawData && t.rawData.length) {
    const raw = t.rawData;
    // Copy: the raw bytes may sit at an offset that is not a multiple of 4.
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Layer weights read from the exported graph's initializers `l<i>_kernel` / `l<i>_bias`. */
export function weightsFromOnnx(spec: ModelSpec, onnx: Uint8Array, where = 'model'): (LayerWeights | undefined)[] {
  const model = ONNX.ModelProto.decode(onnx);
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const readers = new Map((model.graph?.node ?? []).flatMap((n) => (n.input ?? []).map((name) => [name, n.opType ?? ''] as const)));
  return spec.layers.map((l, i) => {
    const shapes = weightShapes(l);
    if (!shapes) return undefined;
    const k = inits.get(`l${i}_kernel`);
    const b = inits.get(`l${i}_bias`);
    if (!k || !b) throw new Error(`${where}: the ONNX graph has no initializer l${i}_kernel / l${i}_bias for layer ${i} (${l.op}); expected a graph exported by vigil train`);
    // Each op knows its ONNX layout (ops/conv.ts, ops/conv-transpose.ts reorder; dense stores it as is).
    const fromOnnx = opOf(l).fromOnnx;
    const raw = { kernel: floats(k), bias: floats(b) };
    const { kernel, bias } = fromOnnx ? fromOnnx(l, raw, readers.get(`l${i}_kernel`) ?? '') : raw;
    const n = shapes.kernel.reduce((a, x) => a * x, 1);
    if (kernel.length !== n || bias.length !== shapes.bias[0]) {
      throw new Error(`${where}: layer ${i} (${l.op}) has ${kernel.length} kernel and ${bias.length} bias values; the card's layer list expects ${n} and ${shapes.bias[0]}`);
    }
    return { kernel, bias };
  });
}

/** The serving model as a trainable tfjs autoencoder with its exported weights (caller disposes). */
export function servingAutoencoder(loaded: LoadedModel): Autoencoder {
  const spec = specFromCard(loaded);
  const model = new Autoencoder(spec, 0);
  model.setWeights(weightsFromOnnx(spec, loaded.onnx, loaded.onnxPath));
  return model;
}

/** The model rebuilt in tfjs must be the served one before anything is learnt from it. */
export function checkRebuilt(model: Autoencoder, set: WindowBatch, served: Float32Array, onnxPath: string, card: ModelCard): void {
  // The serving session holds the card's constant channels at their training value (constant-inputs.ts): the rebuilt
  // model is given them so held too (a probe: an assist pump idle through training and running in the recent data).
  const constant = card.scoring.constant ?? [];
  const input = constant.length > 0 ? set.data.slice() : set.data;
  if (constant.length > 0) holdConstants(input, set.count, card.window, card.channels.length, constant);
  const tf0 = model.predict(input, set.count);
  let diff = 0;
  for (let i = 0; i < tf0.length; i++) diff = Math.max(diff, Math.abs(tf0[i] - served[i]));
  if (!(diff <= 1e-3)) throw new Error(`the model rebuilt from ${onnxPath} disagrees with it in ONNX Runtime (max |diff| ${diff}); please report this as a bug`);
}
