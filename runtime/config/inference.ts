/** Config section `inference`: execution providers and ONNX Runtime threads. */
import { z } from 'zod';
import { KNOWN_PROVIDERS } from '../inference/resolve.ts';

/** Execution providers, in priority order, and ONNX Runtime's CPU budget (docs/run.md, "CPU budget"). */
export const InferenceSchema = z
  .object({
    providers: z.array(z.enum(KNOWN_PROVIDERS)).min(1).default(['cpu', 'wasm']),
    /**
     * Intra-op threads of ONNX Runtime's CPU kernels (0: one per physical core, the library's default). 1 by
     * default: a gateway's other work keeps its cores, and at gateway rates batches are small enough that one
     * thread scores them; raise it for a large model on a dedicated multi-core box. wasm always runs one.
     */
    threads: z.number().int().nonnegative().default(1),
    /** Idle ONNX Runtime threads spin waiting for the next call (the library's default) or sleep (ours). */
    spinning: z.boolean().default(false),
    /**
     * Run onnxruntime-node in a worker thread (one per model session), so decoding and windowing go on while a
     * batch is scored. `auto` (default): for the device providers (webgpu, cuda, tensorrt), whose calls block the
     * calling thread while the device works (on an H200 over WebGPU the main thread's share of a batch fell from
     * 1.9-20 ms to 0.1-6.5 ms at the same windows/s); not for cpu, where the call is the main thread's own work
     * and on a 2-core gateway the worker cost 9-21 % more CPU per reading and 10-14 MB RSS for the same
     * publish -> verdict latency. `true`: always (a model whose CPU batches take milliseconds); `false`: never.
     * wasm always runs on the main thread (docs/run.md, "Inference off the event loop").
     */
    worker: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  })
  .strict();
