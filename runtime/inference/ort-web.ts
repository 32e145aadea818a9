/** onnxruntime-web (wasm) under Node or in a browser: the last-resort backend, and the in-browser scorer. */
import type { InferenceBackend, InferenceResult, InferenceSession, SessionRequest } from './backend.ts';

type OrtWeb = typeof import('onnxruntime-web');

class OrtWebSession implements InferenceSession {
  readonly provider = 'ort-web/wasm';
  constructor(
    private readonly ort: OrtWeb,
    private readonly session: import('onnxruntime-web').InferenceSession,
    private readonly req: SessionRequest,
  ) {}

  async run(input: Float32Array, n: number): Promise<InferenceResult> {
    const { window, channels } = this.req;
    const data = input.length === n * window * channels ? input : input.slice(0, n * window * channels);
    const out = await this.session.run({ [this.req.inputName]: new this.ort.Tensor('float32', data, [n, window, channels]) });
    const extra: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(out)) if (name !== this.req.outputName) extra[name] = t.data as Float32Array;
    return { reconstruction: out[this.req.outputName].data as Float32Array, extra };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** The wasm backend of onnxruntime-web. */
export class OrtWebBackend implements InferenceBackend {
  readonly name = 'wasm';

  async open(req: SessionRequest): Promise<InferenceSession> {
    const mod = (await import('onnxruntime-web')) as unknown as OrtWeb & { default?: OrtWeb };
    const ort = mod.default ?? mod;
    ort.env.wasm.numThreads = 1; // threads need cross-origin isolation in browsers and add nothing under Node here
    const session = await ort.InferenceSession.create(req.onnx, { executionProviders: ['wasm'] });
    const s = new OrtWebSession(ort, session, req);
    await s.run(new Float32Array(req.window * req.channels), 1);
    return s;
  }
}
