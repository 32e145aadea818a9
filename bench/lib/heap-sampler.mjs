/**
 * Preloaded into `vigil run` by bench/allocation.ts (`node --import=./bench/lib/heap-sampler.mjs bin/vigil.mjs run
 * ...`): the first SIGUSR2 starts V8's sampling heap profiler, counting objects already collected too (what a
 * reading allocates and drops is the point), the next writes the profile to $HEAP_SAMPLER_OUT. HEAP_SAMPLER_PROMOTED=1
 * leaves out what a scavenge collected: what was promoted to the old generation (bench/allocation.ts --promoted).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
const post = (method, params) => new Promise((ok, fail) => session.post(method, params, (err, r) => (err ? fail(err) : ok(r))));
let sampling = false;
process.on('SIGUSR2', async () => {
  if (!sampling) {
    sampling = true;
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', { samplingInterval: Number(process.env.HEAP_SAMPLER_INTERVAL ?? 4096), includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !process.env.HEAP_SAMPLER_PROMOTED });
    return;
  }
  const { profile } = await post('HeapProfiler.stopSampling');
  writeFileSync(process.env.HEAP_SAMPLER_OUT, JSON.stringify(profile));
  sampling = false;
});
