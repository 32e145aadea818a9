/**
 * Native ONNX Runtime (onnxruntime-node) in a worker thread, one worker per session. onnxruntime-node runs each
 * call synchronously on the calling thread (inside a setImmediate), so in-thread inference stops MQTT intake for
 * the whole call; here the main thread only copies the batch into one transfer buffer and waits for a message.
 * The input buffer and the outputs are transferred, not cloned. A worker that dies fails the calls it had like an
 * inference error and is started again, with the same model and options, on the next call (and on the call after,
 * if that start could not open the model).
 */
import { Worker } from 'node:worker_threads';
import type { InferenceBackend, InferenceResult, InferenceSession, SessionRequest } from './backend.ts';
import { checkProvider, ortLogLevel, sessionOptions } from './ort-node.ts';

/** The worker script: plain JavaScript beside this file (found from the sources under tsx and in the bundle). */
const WORKER_URL = new URL('./ort-worker.mjs', import.meta.url);

type Reply =
  | { type: 'opened' }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; input: ArrayBuffer; outputs: Record<string, Float32Array> }
  | { type: 'error'; id: number; input: ArrayBuffer; message: string };

interface Call {
  resolve: (r: InferenceResult) => void;
  reject: (err: Error) => void;
}

/** One worker thread holding one ORT session. */
class Thread {
  readonly worker: Worker;
  readonly opened: Promise<void>;
  private readonly calls = new Map<number, Call>();
  private nextId = 0;
  /** Why the thread ended, once it has. */
  ended: Error | undefined;
  /** Transfer buffers back from the worker, reused by the next calls (one per batch the session takes at once). */
  private readonly spares: ArrayBuffer[] = [];

  constructor(req: SessionRequest, executionProvider: string) {
    this.worker = new Worker(WORKER_URL, { name: `vigil-ort-${executionProvider}` });
    this.worker.unref(); // held only while calls are in flight (see `hold`)
    let opening: { resolve: () => void; reject: (e: Error) => void } | undefined;
    this.opened = new Promise<void>((resolve, reject) => (opening = { resolve, reject }));
    let lastError: Error | undefined;
    this.worker.on('message', (m: Reply) => {
      if (m.type === 'opened') return opening?.resolve();
      if (m.type === 'failed') return opening?.reject(new Error(m.message));
      const call = this.calls.get(m.id);
      this.calls.delete(m.id);
      this.hold();
      this.keepSpare(m.input);
      if (!call) return;
      if (m.type === 'error') return call.reject(new Error(m.message));
      const { [req.outputName]: reconstruction, ...extra } = m.outputs;
      call.resolve({ reconstruction, extra });
    });
    this.worker.on('error', (err) => (lastError = err));
    this.worker.on('exit', (code) => {
      const cause = lastError ? `: ${lastError.message}` : '';
      this.ended = new Error(`inference worker (${executionProvider}) stopped with exit code ${code}${cause}`);
      opening?.reject(this.ended);
      for (const call of this.calls.values()) call.reject(this.ended);
      this.calls.clear();
      this.hold();
    });
    this.hold(1);
    // The model bytes are cloned once per worker start (the caller keeps its own for restarts).
    this.worker.postMessage({ type: 'open', onnx: req.onnx, options: sessionOptions(req, executionProvider), logLevel: ortLogLevel(), inputName: req.inputName });
    void this.opened.then(() => this.hold(), () => this.hold());
  }

  run(input: Float32Array, n: number, window: number, channels: number): Promise<InferenceResult> {
    if (this.ended) return Promise.reject(this.ended);
    const size = n * window * channels;
    // One batch buffer, reused: it travels to the worker and comes back with the result.
    let fits = -1;
    for (let i = 0; i < this.spares.length; i++) if (this.spares[i].byteLength >= size * 4 && (fits < 0 || this.spares[i].byteLength < this.spares[fits].byteLength)) fits = i;
    const buffer = fits >= 0 ? this.spares.splice(fits, 1)[0] : new ArrayBuffer(size * 4);
    new Float32Array(buffer, 0, size).set(input.length === size ? input : input.subarray(0, size));
    const id = this.nextId++;
    return new Promise<InferenceResult>((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.hold();
      this.worker.postMessage({ type: 'run', id, input: buffer, n, dims: [n, window, channels] }, [buffer]);
    });
  }

  /** Keep a returned transfer buffer: two at most, the largest (warm-up's small ones give way to a backlog's). */
  private keepSpare(buffer: ArrayBuffer): void {
    if (this.spares.length < 2) {
      this.spares.push(buffer);
      return;
    }
    const small = this.spares[0].byteLength <= this.spares[1].byteLength ? 0 : 1;
    if (buffer.byteLength > this.spares[small].byteLength) this.spares[small] = buffer;
  }

  /** Keep the process alive while the worker owes an answer, and not otherwise (an idle model never holds it). */
  private hold(opening = 0): void {
    if (this.calls.size + opening > 0 && !this.ended) this.worker.ref();
    else this.worker.unref();
  }

  async close(): Promise<void> {
    if (this.ended) return;
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.worker.ref();
    this.worker.postMessage({ type: 'close' });
    await exited;
  }
}

class OrtNodeWorkerSession implements InferenceSession {
  /** The next batch waits in the worker's queue while one runs: the main thread assembles and scores meanwhile. */
  readonly concurrency = 2;
  private thread: Thread;
  private closed = false;
  /** Workers started again after one died (the calls it had failed, and count as inference errors). */
  restarts = 0;
  /** A restarted worker opening its model: calls wait for it. */
  private restarting: Promise<void> | undefined;

  constructor(
    first: Thread,
    private readonly req: SessionRequest,
    private readonly executionProvider: string,
    readonly provider: string,
  ) {
    this.thread = first;
  }

  /** The current worker thread (exposed so tests can stop it the way a crash would). */
  get worker(): Worker {
    return this.thread.worker;
  }

  async run(input: Float32Array, n: number): Promise<InferenceResult> {
    if (this.closed) throw new Error('inference session is closed');
    if (this.thread.ended && !this.restarting) {
      // The worker died (its calls already failed with the reason): start a new one with the same model. Every
      // call made meanwhile (the session takes two at once) waits for it to open rather than reach a thread that
      // has no session yet.
      this.restarts++;
      const thread = (this.thread = new Thread(this.req, this.executionProvider));
      this.restarting = thread.opened.then(
        () => {
          this.restarting = undefined;
        },
        async (err: unknown) => {
          this.restarting = undefined;
          // Let the thread that could not open end, so the next call starts another rather than asking one with no
          // session forever.
          await thread.close().catch(() => {});
          throw new Error(`inference worker could not be restarted: ${(err as Error).message}`);
        },
      );
    }
    if (this.restarting) await this.restarting;
    return this.thread.run(input, n, this.req.window, this.req.channels);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.thread.close();
  }
}

/** onnxruntime-node with one execution provider, in a worker thread of its own. */
export class OrtNodeWorkerBackend implements InferenceBackend {
  readonly name: string;

  constructor(readonly executionProvider: string) {
    this.name = executionProvider;
  }

  async open(req: SessionRequest): Promise<InferenceSession> {
    await checkProvider(this.executionProvider);
    const thread = new Thread(req, this.executionProvider);
    try {
      await thread.opened;
    } catch (err) {
      await thread.close().catch(() => {});
      throw err;
    }
    const s = new OrtNodeWorkerSession(thread, req, this.executionProvider, `ort-node/${this.executionProvider}`);
    try {
      // A provider that loads but fails its first run (e.g. webgpu without Vulkan) must fail here, not live.
      await s.run(new Float32Array(req.window * req.channels), 1);
    } catch (err) {
      await s.close().catch(() => {});
      throw err;
    }
    return s;
  }
}
