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
     * batch is scored. Off by default: with the default conv model a batch of 64 takes about 0.5 ms, and on a
     * 2-core gateway the worker cost 9-21 % more CPU per reading and 10-14 MB RSS for the same publish -> verdict
     * latency at 1k and 10k readings/s. Turn it on for a model whose batches take milliseconds (intake stops
     * for each call on the main thread; docs/run.md, "Inference off the event loop"). wasm always runs on the
     * main thread.
     */
    worker: z.boolean().default(false),
  })
  .strict();
