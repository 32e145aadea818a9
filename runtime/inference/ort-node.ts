/** Native ONNX Runtime (onnxruntime-node) sessions on a chosen execution provider. */
import type { InferenceBackend, InferenceResult, InferenceSession, SessionRequest } from './backend.ts';

type Ort = typeof import('onnxruntime-node');
let ortPromise: Promise<Ort> | undefined;

/** Load the native addon once; rejects when it cannot load on this platform. */
export function loadOrtNode(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').then((m) => {
    const ort = ((m as unknown as { default?: Ort }).default ?? m) as Ort;
    ort.env.logLevel = ortLogLevel();
    return ort;
  });
  return ortPromise;
}

/**
 * ORT prints each failed provider probe to stderr before throwing; the resolver reports the same cause in one
 * line, so keep the native log quiet unless asked (VIGIL_ORT_LOG=verbose|info|warning|error).
 */
export function ortLogLevel(): 'verbose' | 'info' | 'warning' | 'error' | 'fatal' {
  const level = process.env.VIGIL_ORT_LOG;
  return level === 'verbose' || level === 'info' || level === 'warning' || level === 'error' ? level : 'fatal';
}

/** The ONNX Runtime session options for a request on one execution provider (plain data: a worker gets the same). */
export function sessionOptions(req: SessionRequest, executionProvider: string): import('onnxruntime-node').InferenceSession.SessionOptions {
  const options: import('onnxruntime-node').InferenceSession.SessionOptions = {
    executionProviders: [executionProvider],
    graphOptimizationLevel: 'all',
  };
  if (req.threads) options.intraOpNumThreads = req.threads;
  if (req.cpuArena !== undefined) options.enableCpuMemArena = req.cpuArena;
  if (req.memPattern !== undefined) options.enableMemPattern = req.memPattern;
  if (req.spinning !== undefined) {
    // Sequential execution: the inter-op pool is unused, so keep it at one thread too.
    options.interOpNumThreads = 1;
    const allow = req.spinning ? '1' : '0';
    options.extra = { session: { intra_op: { allow_spinning: allow }, inter_op: { allow_spinning: allow } } };
  }
  return options;
}

/** Rejects unless this onnxruntime-node build has the execution provider. */
export async function checkProvider(executionProvider: string): Promise<void> {
  const ort = await loadOrtNode();
  const supported = ort.listSupportedBackends?.() ?? [];
  if (!supported.some((b) => b.name === executionProvider)) {
    throw new Error(`execution provider '${executionProvider}' is not in this onnxruntime-node build (has: ${supported.map((b) => b.name).join(', ')})`);
  }
}

class OrtNodeSession implements InferenceSession {
  /** The last input tensor: the caller reuses one scratch buffer, so a batch of the same size reuses the tensor too. */
  private last: import('onnxruntime-node').Tensor | undefined;
  /** The feeds around `last`, kept with it. */
  private feeds: Record<string, import('onnxruntime-node').Tensor> = {};
  /** The model has no output but the reconstruction (the usual case): no walk over the outputs per batch. */
  private readonly single: boolean;

  constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-node').InferenceSession,
    private readonly req: SessionRequest,
    readonly provider: string,
  ) {
    this.single = session.outputNames.length === 1 && session.outputNames[0] === req.outputName;
  }

  run(input: Float32Array, n: number): Promise<InferenceResult> {
    try {
      const { window, channels } = this.req;
      const size = n * window * channels;
      const data = input.length === size ? input : input.subarray(0, size);
      const prev = this.last?.data as Float32Array | undefined;
      if (!(prev !== undefined && prev.buffer === data.buffer && prev.byteOffset === data.byteOffset && prev.length === data.length)) {
        this.last = new this.ort.Tensor('float32', data, [n, window, channels]);
        this.feeds = { [this.req.inputName]: this.last };
      }
      return this.session.run(this.feeds).then(this.toResult);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Bound once rather than a closure per batch. */
  private readonly toResult = (out: import('onnxruntime-node').InferenceSession.ReturnType): InferenceResult => {
    const reconstruction = out[this.req.outputName].data as Float32Array;
    const extra: Record<string, Float32Array> = {};
    if (!this.single) for (const name in out) if (name !== this.req.outputName) extra[name] = out[name].data as Float32Array;
    return { reconstruction, extra };
  };

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** onnxruntime-node with one execution provider (`cpu`, `webgpu`, `cuda`, `tensorrt`, ...). */
export class OrtNodeBackend implements InferenceBackend {
  readonly name: string;

  constructor(readonly executionProvider: string) {
    this.name = executionProvider;
  }

  async open(req: SessionRequest): Promise<InferenceSession> {
    await checkProvider(this.executionProvider);
    const ort = await loadOrtNode();
    const options = sessionOptions(req, this.executionProvider);
    // ORT silently falls back to CPU for an EP it cannot start in some builds; we asked for exactly one EP,
    // so a failure to create it surfaces as a rejection here, which is what the resolver needs.
    const session = await ort.InferenceSession.create(req.onnx, options);
    const s = new OrtNodeSession(ort, session, req, `ort-node/${this.executionProvider}`);
    // A provider that loads but fails its first run (e.g. webgpu without Vulkan) must fail here, not live.
    await s.run(new Float32Array(req.window * req.channels), 1);
    return s;
  }
}
