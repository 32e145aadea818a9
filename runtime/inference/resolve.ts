/**
 * Pick an execution provider by priority: try each in order, fall back on failure, and when all fail throw
 * one error that lists every cause (after onnxruntime's `resolveBackend`).
 */
import type { InferenceBackend, ResolvedSession, SessionRequest } from './backend.ts';
import { OrtNodeBackend } from './ort-node.ts';
import { OrtNodeWorkerBackend } from './ort-node-worker.ts';
import { OrtWebBackend } from './ort-web.ts';
import { DEVICE_PROVIDERS } from './max-batch.ts';

/** Provider names accepted in config. `wasm` is onnxruntime-web; the others are onnxruntime-node EPs. */
export const KNOWN_PROVIDERS = ['webgpu', 'cuda', 'tensorrt', 'cpu', 'wasm'] as const;

/**
 * How a backend runs: `worker` puts onnxruntime-node in a worker thread (wasm always runs on the calling thread);
 * `'auto'` does so for the device providers only (`workerFor`).
 */
export interface BackendChoice {
  worker?: boolean | 'auto';
}

/**
 * Whether provider `name` runs in a worker thread under `worker` (config `inference.worker`). `'auto'`: a device
 * provider does (on an H200 over WebGPU the worker kept the main thread's share of each batch to 0.1-6.5 ms
 * instead of 1.9-20 ms at the same windows/s, bench/results/gpu-stage.json); the CPU provider does not (there the
 * call is the main thread's own work, and the worker costs 9-21 % more CPU per reading, docs/run.md).
 */
export function workerFor(name: string, worker: boolean | 'auto' | undefined): boolean {
  if (name === 'wasm') return false;
  return worker === 'auto' ? DEVICE_PROVIDERS.includes(name) : worker === true;
}

/** Build the backend for a provider name; unknown names are rejected with the list of known ones. */
export function backendFor(name: string, choice: BackendChoice = {}): InferenceBackend {
  if (name === 'wasm') return new OrtWebBackend();
  if ((KNOWN_PROVIDERS as readonly string[]).includes(name)) return workerFor(name, choice.worker) ? new OrtNodeWorkerBackend(name) : new OrtNodeBackend(name);
  throw new Error(`unknown execution provider '${name}'; expected one of ${KNOWN_PROVIDERS.join(', ')}`);
}

/**
 * One readable line from an ONNX Runtime error: drop the source-location prefix and assertion text
 * (`/onnxruntime_src/...cc:136 ... was false. Failed to get a WebGPU adapter`) and keep the cause.
 */
export function cleanReason(err: unknown): string {
  const msg = (err instanceof Error ? err.message : String(err)).trim();
  let line = msg.split('\n').find((l) => l.trim() !== '') ?? msg;
  const afterAssert = /was false\.\s*(.+)$/.exec(line);
  if (afterAssert) line = afterAssert[1];
  line = line.replace(/^\S*onnxruntime\S*\.(cc|h|cpp):\d+\s+/, '').replace(/^\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*/, '');
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** Open a session on the first provider that works; `open` is injectable so tests can run a fake list. */
export async function resolveSession(
  providers: string[],
  req: SessionRequest,
  open: (name: string, req: SessionRequest) => Promise<import('./backend.ts').InferenceSession> = (name, r) => backendFor(name).open(r),
): Promise<ResolvedSession> {
  if (providers.length === 0) throw new Error('no execution providers given; expected a list such as [webgpu, cpu]');
  const failures: { provider: string; reason: string }[] = [];
  for (const name of providers) {
    try {
      const session = await open(name, req);
      return { session, provider: session.provider, failures };
    } catch (err) {
      failures.push({ provider: name, reason: cleanReason(err) });
    }
  }
  throw new Error(`no execution provider could run the model:\n${failures.map((f) => `  ${f.provider}: ${f.reason}`).join('\n')}`);
}

/** A one-line account of which provider runs and why the earlier ones did not. */
export function describeResolution(r: Pick<ResolvedSession, 'provider' | 'failures'>): string {
  if (r.failures.length === 0) return `execution provider: ${r.provider}`;
  return `execution provider: ${r.provider} (fell back; ${r.failures.map((f) => `${f.provider} failed: ${f.reason}`).join('; ')})`;
}
