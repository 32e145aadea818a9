/**
 * The inference contract: a session that maps a batch of windows (N x W x C, float32, time-major) to their
 * reconstructions. Implementations: `ort-node.ts` (native ONNX Runtime, execution providers) and
 * `ort-web.ts` (onnxruntime-web wasm, the last resort where the native addon cannot load).
 */

/** A loaded model ready to run batches. */
export interface InferenceSession {
  /** Which implementation and execution provider actually runs, e.g. `ort-node/cpu`. */
  readonly provider: string;
  /**
   * Batches it takes at once (absent: 1): a session that runs batches off the calling thread queues the next one
   * while one runs, so its caller can assemble and score around the model's work instead of waiting for it.
   */
  readonly concurrency?: number;
  /** Run N windows; returns the reconstruction (same length as input), plus any extra named outputs. */
  run(input: Float32Array, n: number): Promise<InferenceResult>;
  /** Free native resources. */
  close(): Promise<void>;
}

/** Output of one batch. */
export interface InferenceResult {
  reconstruction: Float32Array;
  /** Other model outputs by name (e.g. `latent`). */
  extra: Record<string, Float32Array>;
}

/** What an implementation needs to open a session. */
export interface SessionRequest {
  onnx: Uint8Array;
  inputName: string;
  outputName: string;
  window: number;
  channels: number;
  /** Intra-op threads of ONNX Runtime's CPU kernels (0 or absent: the library's default, one per physical core). */
  threads?: number;
  /**
   * Whether idle ONNX Runtime pool threads spin waiting for work (absent: the library's default, on). Spinning
   * buys a little latency per call for a core kept busy between calls; off suits a gateway that runs other work.
   */
  spinning?: boolean;
  /**
   * ONNX Runtime's CPU memory arena (`enableCpuMemArena`; absent: the library's default, on). The arena keeps the
   * largest batch's buffers for the next call; off, each call allocates and frees its own through malloc.
   */
  cpuArena?: boolean;
  /** ONNX Runtime's memory pattern planning (`enableMemPattern`; absent: the library's default, on). */
  memPattern?: boolean;
}

/** One way to run a model, selected by name (e.g. `cpu`, `webgpu`, `cuda`, `wasm`). */
export interface InferenceBackend {
  /** Provider name as it appears in config. */
  readonly name: string;
  /** Open a session; rejects with the reason when this provider cannot run here. */
  open(req: SessionRequest): Promise<InferenceSession>;
}

/** The outcome of resolving a provider list: the session and why each earlier choice failed. */
export interface ResolvedSession {
  session: InferenceSession;
  /** Provider that runs. */
  provider: string;
  /** Providers tried before it, with their failure reasons. */
  failures: { provider: string; reason: string }[];
}
