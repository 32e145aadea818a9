/**
 * Pick the tfjs backend that trains: tfjs-node (native TensorFlow) if it loads, then wasm (XNNPACK kernels,
 * single-threaded under Node), then plain-JS cpu. `--backend` forces one; the choice is always reported.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** Training backends by name, fastest first. */
export const TRAIN_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
/** A training backend name (`tensorflow` is tfjs-node). */
export type TrainBackendName = (typeof TRAIN_BACKENDS)[number];

/** The backend now active and why the faster ones were skipped. */
export interface BackendChoice {
  name: TrainBackendName;
  /** Human-readable, e.g. `wasm (XNNPACK, SIMD, 1 thread)`. */
  description: string;
  failures: { backend: string; reason: string }[];
}

const require = createRequire(import.meta.url);
let current: BackendChoice | undefined;

async function tryTensorflow(): Promise<string> {
  // tfjs-node registers the 'tensorflow' backend on import; it is an optional dependency that often is absent.
  try {
    await import('@tensorflow/tfjs-node' as string);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') throw new Error('@tensorflow/tfjs-node is not installed (optional)');
    throw err;
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node loaded but the tensorflow backend did not initialise');
  return 'tensorflow (tfjs-node, native)';
}

async function tryWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Resolve the .wasm binaries from node_modules as file paths and let emscripten read them with fs:
  // the platform fetch (undici) cannot open file paths.
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(join(dir, '/'), false);
  // The emscripten glue installs process handlers that rethrow every uncaught error from inside its minified
  // source, which buries the real message under a screen of code; take them off again.
  const before = { u: process.listeners('uncaughtException'), r: process.listeners('unhandledRejection') };
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialise');
  } finally {
    for (const l of process.listeners('uncaughtException')) if (!before.u.includes(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!before.r.includes(l)) process.removeListener('unhandledRejection', l);
  }
  shareIdentityOnWasm();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return `wasm (XNNPACK${simd ? ', SIMD' : ''}, 1 thread)`;
}

/**
 * tfjs clones every tensor it saves for backprop through the Identity kernel, which on wasm copies the buffer
 * (~60 copies per training step of a conv AE). Tensors are immutable, so share the buffer and count a reference
 * instead, exactly as the wasm Reshape kernel and the cpu Identity kernel already do.
 */
function shareIdentityOnWasm(): void {
  const config = tf.getKernel('Identity', 'wasm');
  if (!config || (config as { vigilShared?: boolean }).vigilShared) return;
  tf.unregisterKernel('Identity', 'wasm');
  const shared: tf.KernelConfig & { vigilShared: boolean } = {
    kernelName: 'Identity',
    backendName: 'wasm',
    vigilShared: true,
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return (config.kernelFunc as tf.KernelFunc)({ inputs, backend, attrs: {} });
      (backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  };
  tf.registerKernel(shared);
}

async function tryCpu(): Promise<string> {
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not initialise');
  // We report the backend ourselves; skip tfjs' first-use banner that points at the native package.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return 'cpu (plain JavaScript, slowest)';
}

const TRY: Record<TrainBackendName, () => Promise<string>> = { tensorflow: tryTensorflow, wasm: tryWasm, cpu: tryCpu };

/**
 * Activate a backend: the named one, or the fastest that works. Throws one error listing every cause when
 * none works (or the forced one fails).
 */
export async function selectBackend(force?: string): Promise<BackendChoice> {
  if (force !== undefined && force !== 'auto' && !(TRAIN_BACKENDS as readonly string[]).includes(force)) {
    throw new Error(`unknown training backend '${force}'; expected one of auto, ${TRAIN_BACKENDS.join(', ')}`);
  }
  const order: TrainBackendName[] = force && force !== 'auto' ? [force as TrainBackendName] : [...TRAIN_BACKENDS];
  if (current && order[0] === current.name) return current;
  if (current && !force && tf.getBackend() === current.name) return current;
  const failures: BackendChoice['failures'] = [];
  for (const name of order) {
    try {
      const description = await TRY[name]();
      await tf.ready();
      current = { name, description, failures };
      return current;
    } catch (err) {
      failures.push({ backend: name, reason: (err as Error).message.split('\n')[0] });
    }
  }
  throw new Error(`no tfjs backend could start:\n${failures.map((f) => `  ${f.backend}: ${f.reason}`).join('\n')}`);
}

/** The active backend's name as tfjs reports it. */
export function activeBackend(): string {
  return tf.getBackend();
}
