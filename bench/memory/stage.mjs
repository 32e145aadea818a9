#!/usr/bin/env node
/**
 * One stage of a `vigil run` start, for bench/memory.ts --breakdown: load what `bin/vigil.mjs` would have loaded by
 * that point, settle (two full GCs, 1 s), print one JSON line with RSS and the V8 heap. Run it with --expose-gc:
 *   node --expose-gc bench/memory/stage.mjs node|tsx|dispatch|run-modules|session MODEL
 * Plain JavaScript, so the `node` stage measures node alone.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const [stage, model] = process.argv.slice(2);
const STAGES = ['node', 'tsx', 'dispatch', 'run-modules', 'session'];
const upTo = STAGES.indexOf(stage);
if (upTo < 0) throw new Error(`stage must be one of ${STAGES.join(', ')}; got ${stage}`);
const notes = {
  node: 'node alone',
  tsx: 'node + tsx loader registered (as bin/vigil.mjs without a bundle)',
  dispatch: '+ bin/dispatch.ts',
  'run-modules': "+ the module graph of 'vigil run' (runtime/cli/run.ts), nothing started",
  session: '+ model loaded, ONNX Runtime session opened and warmed up with the config defaults',
};

let note = notes[stage];
if (upTo >= 1) {
  const { register } = await import('tsx/esm/api');
  register();
}
if (upTo >= 2) {
  const { COMMANDS } = await import('../../bin/dispatch.ts');
  if (upTo >= 3) await COMMANDS.run.load();
}
if (upTo >= 3) {
  // CommonJS packages show in the require cache (ESM ones do not): a rough list of what got loaded.
  const cache = Object.keys(createRequire(import.meta.url).cache);
  const pkgs = new Set(cache.map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1]).filter(Boolean));
  note += `; CommonJS packages: ${[...pkgs].sort().join(' ')}`;
}
if (upTo >= 4) {
  const { loadConfig } = await import('../../runtime/config/load.ts');
  const { loadModel } = await import('../../runtime/model/load.ts');
  const { openModel } = await import('../../runtime/inference/open-model.ts');
  const cfg = loadConfig(undefined, { model, broker: 'mqtt://127.0.0.1:1883', topics: ['x/+/data'] });
  const opened = await openModel(loadModel(cfg.model), { providers: cfg.inference.providers, threads: cfg.inference.threads, spinning: cfg.inference.spinning, warmup: [...new Set([1, cfg.batch.size])] });
  note += ` (${opened.report})`;
}
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 1000));
globalThis.gc?.();
const m = process.memoryUsage();
const vmRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const MB = 1024 * 1024;
process.stdout.write(`${JSON.stringify({ stage, rssMB: vmRss, heapUsedMB: m.heapUsed / MB, heapTotalMB: m.heapTotal / MB, externalMB: m.external / MB, note })}\n`);
process.exit(0);
