/**
 * The architecture registry: options in, `ModelSpec` out. `dense` and `conv` are the bodies; `denoising`,
 * `sparse` and `vae` reuse a body and add training-only terms, so the exported graph stays plain. `--arch`,
 * its help, `trainModel` and the NAB detector's config all read `ARCHITECTURE_REGISTRY`: a new architecture is
 * one entry there (and a new layer op, if it needs one, a file in `ops/`).
 */
import { convOutLength, type Activation, type LayerSpec, type ModelSpec, type TrainingTerms } from './spec.ts';

/** Everything that shapes a model. */
export interface ArchOptions {
  /** A registered architecture name (`ARCHITECTURES`). */
  arch: string;
  window: number;
  channels: number;
  /** Code size: units of the dense bottleneck, or channels of the conv code. */
  code: number;
  /** Hidden widths of the encoder, outermost first (dense units, or conv filters); the decoder mirrors them. */
  hidden: number[];
  /** Conv kernel length (odd). */
  kernel: number;
  /** Body used by denoising and sparse. */
  base: 'dense' | 'conv';
  loss: 'mse' | 'bce';
  /** Denoising corruption. */
  noise: { kind: 'gaussian' | 'mask'; level: number };
  /** Sparse L1 weight on the code. */
  l1: number;
  /** VAE KL weight. */
  beta: number;
}

function denseBody(o: ArchOptions, head: 'plain' | 'vae'): LayerSpec[] {
  const flat = o.window * o.channels;
  const layers: LayerSpec[] = [{ op: 'flatten' }];
  let width = flat;
  for (const h of o.hidden) {
    layers.push({ op: 'dense', in: width, units: h, activation: 'relu' });
    width = h;
  }
  if (head === 'vae') {
    layers.push({ op: 'dense', in: width, units: 2 * o.code, activation: 'linear' }, { op: 'sample', size: o.code }, { op: 'code' });
  } else {
    layers.push({ op: 'dense', in: width, units: o.code, activation: 'linear' }, { op: 'code' });
  }
  width = o.code;
  for (const h of [...o.hidden].reverse()) {
    layers.push({ op: 'dense', in: width, units: h, activation: 'relu' });
    width = h;
  }
  layers.push({ op: 'dense', in: width, units: flat, activation: outAct(o) }, { op: 'unflatten', window: o.window, channels: o.channels });
  return layers;
}

function outAct(o: ArchOptions): Activation {
  return o.loss === 'bce' ? 'sigmoid' : 'linear';
}

function convBody(o: ArchOptions): LayerSpec[] {
  if (o.kernel % 2 !== 1 || o.kernel < 1) throw new Error(`conv kernel must be odd and >= 1, got ${o.kernel}`);
  const pad = (o.kernel - 1) / 2;
  const widths = [...o.hidden, o.code];
  const layers: LayerSpec[] = [];
  const lengths = [o.window];
  let cin = o.channels;
  for (const [i, f] of widths.entries()) {
    const l = { op: 'conv' as const, in: cin, filters: f, kernel: o.kernel, stride: 2, pad, activation: (i === widths.length - 1 ? 'linear' : 'relu') as Activation };
    const len = convOutLength(l, lengths[i]);
    if (len < 2) throw new Error(`window ${o.window} is too short for ${widths.length} stride-2 convolutions; use a longer window or fewer --hidden layers`);
    layers.push(l);
    lengths.push(len);
    cin = f;
  }
  layers.push({ op: 'code' });
  // Mirror: each transposed conv restores the length its encoder twin received (outPad picks the odd/even case).
  const outs = [...o.hidden].reverse().concat([o.channels]);
  for (const [i, f] of outs.entries()) {
    const inLen = lengths[widths.length - i];
    const target = lengths[widths.length - i - 1];
    const outPad = target - ((inLen - 1) * 2 - 2 * pad + o.kernel);
    if (outPad < 0 || outPad > 1) throw new Error(`cannot mirror conv length ${inLen} -> ${target} with kernel ${o.kernel}`);
    const last = i === outs.length - 1;
    layers.push({ op: 'convT', in: cin, filters: f, kernel: o.kernel, stride: 2, pad, outPad, activation: last ? outAct(o) : 'relu' });
    cin = f;
  }
  return layers;
}

/** One architecture: which body its layers come from, and what it adds to the loss. */
export interface Architecture {
  /** What it is, for `--arch`'s help. */
  summary: string;
  /** The body: fixed, or `base` to follow `--base`. */
  body: 'dense' | 'conv' | 'base';
  /** The layers (`o.base` picks the body where `body` is `base`). */
  layers(o: ArchOptions): LayerSpec[];
  /** Training-only terms, checked (the card's `architecture.params` records them under the same keys). */
  terms(o: ArchOptions): TrainingTerms;
  /** Its encoder ends in a `sample` layer, so `--score recon-prob` can decode draws of the code. */
  samplesCode?: boolean;
}

const plainBody = (o: ArchOptions): LayerSpec[] => (o.base === 'conv' ? convBody(o) : denseBody(o, 'plain'));

/** Every architecture by its `--arch` name. */
export const ARCHITECTURE_REGISTRY = {
  dense: { summary: 'fully connected', body: 'dense', layers: (o) => denseBody(o, 'plain'), terms: () => ({}) },
  conv: { summary: 'strided 1-D convolutions and their transposes', body: 'conv', layers: convBody, terms: () => ({}) },
  denoising: {
    summary: 'a body trained on corrupted inputs (--noise, --noise-kind)',
    body: 'base',
    layers: plainBody,
    terms(o) {
      if (!(o.noise.level > 0)) throw new Error(`denoising needs a noise level > 0, got ${o.noise.level}`);
      return { noise: o.noise };
    },
  },
  sparse: {
    summary: 'a body with an L1 penalty on the code (--l1)',
    body: 'base',
    layers: plainBody,
    terms(o) {
      if (!(o.l1 > 0)) throw new Error(`sparse needs an L1 weight > 0, got ${o.l1}`);
      return { l1: o.l1 };
    },
  },
  vae: {
    summary: 'variational, dense body (--beta)',
    body: 'dense',
    samplesCode: true,
    layers: (o) => denseBody(o, 'vae'),
    terms(o) {
      if (!(o.beta >= 0)) throw new Error(`vae needs beta >= 0, got ${o.beta}`);
      return { beta: o.beta };
    },
  },
} as const satisfies Record<string, Architecture>;

/** An architecture name. */
export type ArchName = keyof typeof ARCHITECTURE_REGISTRY;
/** Architecture names accepted by `--arch`, in registry order. */
export const ARCHITECTURES = Object.keys(ARCHITECTURE_REGISTRY) as [ArchName, ...ArchName[]];

/** The architecture registered as `name`, or an error listing the names there are. */
export function architecture(name: string): Architecture {
  if (!(ARCHITECTURES as string[]).includes(name)) throw new Error(`unknown --arch '${name}'; expected one of ${ARCHITECTURES.join(', ')}`);
  return ARCHITECTURE_REGISTRY[name as ArchName];
}

/** Names of the architectures that sample their code (`--score recon-prob`). */
export const SAMPLING_ARCHITECTURES = ARCHITECTURES.filter((n) => architecture(n).samplesCode);

/** The body an architecture's layers come from: its own, or `base` for those that follow `--base`. */
export function bodyOf(arch: string, base: 'dense' | 'conv'): 'dense' | 'conv' {
  const { body } = architecture(arch);
  return body === 'base' ? base : body;
}

/** Build the spec for an architecture; rejects combinations that cannot work with a reason. */
export function buildSpec(o: ArchOptions): ModelSpec {
  if (!Number.isInteger(o.code) || o.code < 1) throw new Error(`code size must be an integer >= 1, got ${o.code}`);
  if (o.hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new Error(`hidden widths must be integers >= 1, got ${o.hidden.join(',')}`);
  const a = architecture(o.arch);
  const terms = a.terms(o);
  return { arch: o.arch, window: o.window, channels: o.channels, loss: o.loss, layers: a.layers(o), terms };
}
