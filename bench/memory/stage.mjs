#!/usr/bin/env node
/**
 * One stage of a `vigil run` start, for bench/memory.ts --breakdown: load what `bin/vigil.mjs` would have loaded by
 * that point, with the same V8 heap sizing (bin/v8-heap.mjs), settle (two full GCs, 1 s), print one JSON line with
 * RSS and the V8 heap. Run it with --expose-gc:
 *   node --expose-gc bench/memory/stage.mjs node|ort|launcher|run-modules MODEL [--tsx]
 * `ort` is node with onnxruntime-node and one session of MODEL (1 intra-op thread, no spinning, warmed up at
 * batch 1 and 64), on the main thread, to attribute the runtime library's share. `--tsx` loads the sources
 * through tsx instead of the bundle (as bin/vigil.mjs does when the bundle cannot be built).
 * Plain JavaScript, so the `node` stage measures node alone.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { sizeHeap } from '../../bin/v8-heap.mjs';

const [stage, model] = process.argv.slice(2);
const tsx = process.argv.includes('--tsx');
const STAGES = ['node', 'ort', 'launcher', 'run-modules'];
if (!STAGES.includes(stage)) throw new Error(`stage must be one of ${STAGES.join(', ')}; got ${stage}`);
sizeHeap('run');
const notes = {
  node: 'node alone',
  ort: 'node + onnxruntime-node, one session of the model, warmed up (bare ORT, main thread)',
  launcher: tsx ? 'node + tsx loader + bin/dispatch.ts (the sources)' : 'node + the bundle entry (dist/<id>/vigil.mjs: bin/dispatch.ts)',
  'run-modules': "+ the module graph of 'vigil run' (runtime/cli/run.ts), nothing started",
};
let note = notes[stage];

if (stage === 'ort') {
  const ort = (await import('onnxruntime-node')).default;
  const card = JSON.parse(readFileSync(`${model}.json`, 'utf8'));
  const session = await ort.InferenceSession.create(readFileSync(`${model}.onnx`), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    extra: { session: { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' } },
  });
  const wc = card.window * card.channels.length;
  for (const n of [1, 64]) await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(n * wc), [n, card.window, card.channels.length]) });
} else if (stage !== 'node') {
  let dispatch;
  if (tsx) {
    const { register } = await import('tsx/esm/api');
    register();
    dispatch = await import('../../bin/dispatch.ts');
  } else {
    const { dir } = JSON.parse(readFileSync(new URL('../../dist/current.json', import.meta.url), 'utf8'));
    dispatch = await import(new URL(`../../dist/${dir}/vigil.mjs`, import.meta.url).href);
  }
  if (stage === 'run-modules') {
    await dispatch.COMMANDS.run.load();
    // CommonJS packages show in the require cache (ESM ones do not): a rough list of what got loaded.
    const cache = Object.keys(createRequire(import.meta.url).cache);
    const pkgs = new Set(cache.map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1]).filter(Boolean));
    note += `; CommonJS packages: ${[...pkgs].sort().join(' ')}`;
  }
}
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 1000));
globalThis.gc?.();
const m = process.memoryUsage();
const vmRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const MB = 1024 * 1024;
process.stdout.write(`${JSON.stringify({ stage, rssMB: vmRss, heapUsedMB: m.heapUsed / MB, heapTotalMB: m.heapTotal / MB, externalMB: m.external / MB, note })}\n`);
process.exit(0);
