/**
 * The worker thread behind `ort-node-worker.ts`: one onnxruntime-node session, run off the main thread so MQTT
 * intake keeps decoding while a batch is scored. Plain JavaScript so it loads the same way under tsx, vitest and
 * the esbuild bundle (a worker does not inherit a TypeScript loader). It only does what the main side asks:
 *   open  {onnx, options, logLevel}       -> opened | failed {message}
 *   run   {id, input (transferred), n, dims} -> result {id, input, outputs} | error {id, input, message}
 *   close                                 -> releases the session and lets the thread end
 * Input and output buffers are transferred, never copied: the input goes back with its result for reuse.
 */
import { parentPort } from 'node:worker_threads';

if (!parentPort) throw new Error('ort-worker.mjs runs as a worker thread of runtime/inference/ort-node-worker.ts');
const port = parentPort;

/** @type {typeof import('onnxruntime-node')} */
let ort;
/** @type {import('onnxruntime-node').InferenceSession | undefined} */
let session;
let inputName = '';

port.on('message', (msg) => {
  if (msg.type === 'open') void open(msg);
  else if (msg.type === 'run') void run(msg);
  else if (msg.type === 'close') void close();
  // A message this thread does not know is a bug on the main side: end the thread loudly (the main side fails
  // the calls it had in flight and starts a new one) rather than leave a call unanswered.
  else throw new Error(`ort-worker: unknown message type '${msg?.type}'`);
});

async function open(msg) {
  try {
    const m = await import('onnxruntime-node');
    ort = m.default ?? m;
    ort.env.logLevel = msg.logLevel;
    session = await ort.InferenceSession.create(msg.onnx, msg.options);
    inputName = msg.inputName;
    port.postMessage({ type: 'opened' });
  } catch (err) {
    port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
}

async function run(msg) {
  const { id, input, n, dims } = msg;
  try {
    if (!session) throw new Error('inference worker has no open session');
    const data = new Float32Array(input, 0, n * dims[1] * dims[2]);
    const out = await session.run({ [inputName]: new ort.Tensor('float32', data, [n, dims[1], dims[2]]) });
    const outputs = {};
    const transfer = new Set([input]);
    for (const [name, t] of Object.entries(out)) {
      outputs[name] = t.data;
      transfer.add(t.data.buffer);
    }
    port.postMessage({ type: 'result', id, input, outputs }, [...transfer]);
  } catch (err) {
    port.postMessage({ type: 'error', id, input, message: err instanceof Error ? err.message : String(err) }, [input]);
  }
}

async function close() {
  try {
    await session?.release();
  } finally {
    session = undefined;
    port.close();
  }
}
