/**
 * Which providers are devices, and the largest batch each kind takes under `batch.maxBatch: auto`. Free of the
 * backends' imports: the browser page's in-browser scorer (score-series.ts) reads it too.
 */

/**
 * Providers whose calls wait on a device: onnxruntime-node blocks the calling thread until the device's results
 * are back (1.9 ms a call at batch 1 on an H200 over WebGPU, 20 ms at 4,096), while the CPU has nothing to do.
 */
export const DEVICE_PROVIDERS: readonly string[] = ['webgpu', 'cuda', 'tensorrt'];

/**
 * The largest batch under `batch.maxBatch: auto`, per provider kind. On the CPU providers a batch past a few hundred
 * windows buys nothing and costs memory for good: ONNX Runtime's arena keeps the activations of the largest batch it
 * ran. `node bin/run-ts.mjs bench/max-batch.ts` (a backlog of 512 sensors through inferBatches, ort-node cpu, 1
 * thread; bench/results/max-batch.json): the pump model of the benches (conv, window 64 x 8) held 31-34 MB more RSS
 * at 256, 50-63 MB at 1,024 and 141-161 MB at 4,096, with no less CPU per window at 4,096 (28-35 us against 21-28 us
 * at 256, a loaded machine); with `--hidden 256,256` 65 MB at 256 and 793-820 MB at 4,096. `vigil run` on the pump
 * model, 100 sensors whose 100,000 readings queued while it was stopped: peak RSS 200 MB in batches of up to 4,096
 * (11 batches), 143 MB with 256 (59), the same windows scored. A device amortises each call's ~2 ms over large
 * batches (bare ORT on an H100 gained 13x at 4,096): there it stays.
 */
export const AUTO_MAX_BATCH = { cpu: 256, device: 4096 } as const;

/**
 * The largest batch for provider `provider` (a config name, or a session's `ort-node/cpu`) under `setting`
 * (config `batch.maxBatch`): a number is kept, `'auto'` follows the provider (`AUTO_MAX_BATCH`).
 */
export function maxBatchFor(setting: number | 'auto', provider: string): number {
  if (setting !== 'auto') return setting;
  return DEVICE_PROVIDERS.includes(provider.split('/').pop() ?? provider) ? AUTO_MAX_BATCH.device : AUTO_MAX_BATCH.cpu;
}
