/**
 * The model's own cost: CPU per window of a bare onnxruntime-node session on the bench model (1 intra-op thread, no
 * spinning, as `vigil run` ships), at a given batch size. What no pipeline around the model can go below.
 */
import { readFileSync } from 'node:fs';

type Ort = typeof import('onnxruntime-node');

/** CPU microseconds per window (user + system of this process) over about `ms` of repeated calls at each batch size. */
export async function bareOrtUsPerWindow(model: string, batches: number[], ms = 400): Promise<Map<number, number>> {
  const m = (await import('onnxruntime-node')) as unknown as Ort & { default?: Ort };
  const ort = m.default ?? m;
  const card = JSON.parse(readFileSync(`${model}.json`, 'utf8')) as { window: number; channels: string[]; onnx: { inputName: string; outputName: string } };
  const session = await ort.InferenceSession.create(`${model}.onnx`, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  const out = new Map<number, number>();
  try {
    for (const b of batches) {
      const size = [b, card.window, card.channels.length];
      const input = new ort.Tensor('float32', Float32Array.from({ length: b * card.window * card.channels.length }, (_, i) => Math.sin(i)), size);
      const feeds = { [card.onnx.inputName]: input };
      for (let i = 0; i < 10; i++) await session.run(feeds);
      let windows = 0;
      const c0 = process.cpuUsage();
      const until = performance.now() + ms;
      while (performance.now() < until) {
        await session.run(feeds);
        windows += b;
      }
      const c = process.cpuUsage(c0);
      out.set(b, (c.user + c.system) / windows);
    }
  } finally {
    await session.release();
  }
  return out;
}
