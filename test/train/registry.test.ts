/**
 * The layer op and architecture registries: every registered op keeps its contract (declared output shape =
 * the tfjs forward pass's, declared weight shapes = the variables', ONNX kernel read back = the stored kernel)
 * in every registered architecture, each op is used by some architecture, and every list of architecture
 * names (--arch help, the NAB detector config) is the registry's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../train/backend.ts';
import { parseNabDetectorConfig } from '../../evaluate/detector/nab-config.ts';
import { exportOnnx } from '../../train/export/graph.ts';
import { weightsFromOnnx } from '../../train/adapt/serving-model.ts';
import { OPTION_TABLE } from '../../train/defaults.ts';
import { ARCHITECTURES, architecture, buildSpec, type ArchOptions } from '../../train/models/architectures.ts';
import { Autoencoder } from '../../train/models/autoencoder.ts';
import { OPS, opOf } from '../../train/models/ops/index.ts';
import { termsFromParams, traceShapes, type ModelSpec } from '../../train/models/spec.ts';
import { resolveOptions } from '../../train/train.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

const OPTIONS: ArchOptions = { arch: 'dense', window: 20, channels: 3, code: 2, hidden: [8, 6], kernel: 3, base: 'dense', loss: 'mse', noise: { kind: 'gaussian', level: 0.1 }, l1: 0.01, beta: 0.5 };

/** Every registered architecture, each body it can take. */
function specs(): ModelSpec[] {
  return ARCHITECTURES.flatMap((arch) => {
    const { body } = architecture(arch);
    return (body === 'base' ? (['dense', 'conv'] as const) : [body]).map((base) => buildSpec({ ...OPTIONS, arch, base }));
  });
}

describe('layer op registry', () => {
  for (const spec of specs()) {
    it(`${spec.arch} (${spec.layers.map((l) => l.op).join(' ')}): each op's shape and weights match what tfjs computes`, () => {
      const m = new Autoencoder(spec, 3);
      const shapes = traceShapes(spec);
      const n = 4;
      const marks = {};
      tf.tidy(() => {
        let h: tf.Tensor = tf.randomNormal([n, spec.window, spec.channels], 0, 1, 'float32', 5);
        spec.layers.forEach((l, i) => {
          const op = opOf(l);
          h = op.forward(l, h, { n, training: false, seed: 0, vars: m.vars[i], marks });
          expect(h.shape, `layer ${i} (${l.op})`).toEqual([n, ...shapes[i]]);
          const p = op.params?.(l);
          expect(m.vars[i] && [m.vars[i]!.kernel.shape, m.vars[i]!.bias.shape], `layer ${i} (${l.op}) weights`).toEqual(p && [p.kernel, p.bias]);
        });
      });
      m.dispose();
    });

    it(`${spec.arch} (${spec.layers.map((l) => l.op).join(' ')}): the weights read back from the ONNX graph are the stored ones`, () => {
      const m = new Autoencoder(spec, 4);
      const weights = m.weights();
      const read = weightsFromOnnx(spec, exportOnnx(spec, weights).bytes);
      spec.layers.forEach((l, i) => {
        expect(read[i] && [Array.from(read[i]!.kernel), Array.from(read[i]!.bias)], `layer ${i} (${l.op})`).toEqual(weights[i] && [Array.from(weights[i]!.kernel), Array.from(weights[i]!.bias)]);
      });
      m.dispose();
    });
  }

  it('every registered op is used by a registered architecture (so the checks above cover it)', () => {
    const used = new Set(specs().flatMap((s) => s.layers.map((l) => l.op)));
    expect([...used].sort()).toEqual(Object.keys(OPS).sort());
  });

  it('a layer list naming an unknown op is refused with the known ones', () => {
    const spec = { ...buildSpec(OPTIONS), layers: [{ op: 'pool' }] } as unknown as ModelSpec;
    expect(() => traceShapes(spec)).toThrow(/unknown layer op 'pool'; expected one of flatten, unflatten, dense, conv, convT, code, sample/);
  });
});

describe('architecture registry', () => {
  it('--arch help and the NAB detector config list the registered architectures', () => {
    expect(OPTION_TABLE.arch.help).toBe(ARCHITECTURES.join(' | '));
    for (const arch of ARCHITECTURES) expect(parseNabDetectorConfig({ model: { arch } }).model.arch).toBe(arch);
    expect(() => parseNabDetectorConfig({ model: { arch: 'lstm' } })).toThrow(/model\.arch/);
  });

  it('an unknown --arch is refused with the registered names', () => {
    expect(() => resolveOptions({ data: 'x.csv', out: 'x', arch: 'lstm' as never })).toThrow(`unknown --arch 'lstm'; expected one of ${ARCHITECTURES.join(', ')}`);
  });

  it('--window names the least value it takes, whatever the value refused (a probe: >= 1 for 0, then >= 2 for 1)', () => {
    for (const window of [0, 1, 2.5]) expect(() => resolveOptions({ data: 'x.csv', out: 'x', window })).toThrow(`--window must be an integer >= 2, got ${window}`);
    expect(resolveOptions({ data: 'x.csv', out: 'x', window: 2 }).window).toBe(2);
  });

  it('the body follows --base only where the architecture says so; elsewhere another --base is refused', () => {
    for (const arch of ARCHITECTURES) {
      const { body } = architecture(arch);
      for (const base of ['dense', 'conv'] as const) {
        if (body === 'base' || body === base) expect(resolveOptions({ data: 'x.csv', out: 'x', arch, base }).base).toBe(body === 'base' ? base : body);
        else expect(() => resolveOptions({ data: 'x.csv', out: 'x', arch, base })).toThrow(`--base ${base} applies to --arch`);
      }
      expect(resolveOptions({ data: 'x.csv', out: 'x', arch }).base).toBe(body === 'base' ? 'conv' : body);
    }
  });

  it("a card's params give back the spec's training-only terms", () => {
    for (const spec of specs()) expect(termsFromParams({ base: 'dense', hidden: [8], ...spec.terms, layers: spec.layers })).toEqual(spec.terms);
  });
});
