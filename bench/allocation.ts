/**
 * Bytes `vigil run` allocates per reading, and where: V8's sampling heap profiler (collected objects included,
 * bench/lib/heap-sampler.mjs) over SECS seconds of SENSORS sensors at RATE readings/s (bench/lib/load.ts), after every
 * sensor's first window is full. Prints the total per reading, the sites allocating the most (self), and the same
 * bytes by the innermost vigil frame above them (a library's allocation charged to the vigil call that made it).
 *   node bin/run-ts.mjs bench/allocation.ts [--sensors 1000] [--rate 5000] [--secs 8] [--top 30]
 *     [--launcher 'node --import=./bench/lib/heap-sampler.mjs /other/worktree/bin/vigil.mjs'] [--broker URL] [--promoted]
 * The young generation is kept at 1 MB (bin/v8-heap.mjs), so scavenges follow these bytes one for one. `--promoted`
 * counts only what outlived the young generation (objects a scavenge collected are left out): what fills the old one
 * and brings V8's full collections, whose pauses are the slowest publish -> alert latencies at high rates. The bytes of
 * a typed array's buffer (over 64 bytes) are off the V8 heap and not counted, only its object.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchBroker } from './lib/broker.ts';
import { cliArg } from './lib/child.ts';
import { sensorLoad } from './lib/load.ts';
import { connectNoDelay } from './lib/mqtt.ts';
import { benchModel, csvRows, scrapeSeries, startVigil } from './lib/vigil.ts';

const SENSORS = Number(cliArg('sensors', '1000'));
const RATE = Number(cliArg('rate', '5000'));
const SECS = Number(cliArg('secs', '8'));
const TOP = Number(cliArg('top', '30'));
const PROMOTED = process.argv.includes('--promoted');
const LAUNCHER = cliArg('launcher', 'node --import=./bench/lib/heap-sampler.mjs bin/vigil.mjs').split(' ');
const W = 64;

interface Frame { functionName: string; url: string; lineNumber: number }
interface Node { callFrame: Frame; selfSize: number; children: Node[] }

const work = mkdtempSync(join(tmpdir(), 'vigil-alloc-'));
const out = join(work, 'heap.json');
const broker = await benchBroker();
const model = benchModel();
const { channels, rows } = csvRows(model);
// Read by the sampler in vigil's process (startVigil passes this environment on).
process.env.HEAP_SAMPLER_OUT = out;
if (PROMOTED) process.env.HEAP_SAMPLER_PROMOTED = '1';
const vigil = await startVigil({ launcher: LAUNCHER, model, broker: broker.url, topic: 'alloc/+/data', work });
const pub = await connectNoDelay(broker.url, `alloc-pub-${process.pid}`);
const load = sensorLoad(pub, { prefix: 'alloc', sensors: SENSORS, channels, rows, window: W, spikePeriod: 100, qos: 0 });
// Every sensor's first window full, then a few seconds at the measured rate before sampling starts.
await load.pace(5000, (SENSORS * W) / 5000 + 3);
await load.pace(RATE, 2);
const m0 = (await scrapeSeries(vigil.opsUrl)).sums;
process.kill(vigil.pid, 'SIGUSR2');
await load.pace(RATE, SECS);
process.kill(vigil.pid, 'SIGUSR2');
const m1 = (await scrapeSeries(vigil.opsUrl)).sums;
for (let i = 0; i < 100 && !existsSync(out); i++) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, 300));
pub.end(true);
await vigil.stop();
await broker.stop();
const readings = (m1.vigil_readings_decoded_total ?? 0) - (m0.vigil_readings_decoded_total ?? 0);
const windows = (m1.vigil_windows_scored_total ?? 0) - (m0.vigil_windows_scored_total ?? 0);
const profile = JSON.parse(readFileSync(out, 'utf8')) as { head: Node };
rmSync(work, { recursive: true, force: true });

const name = (f: Frame) => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules\/)?/, '')}:${f.lineNumber + 1}`;
// vigil's own code: the bundle (dist/) or the sources (runtime/), not a package.
const ours = (f: Frame) => /\/(dist|runtime)\//.test(f.url) && !f.url.includes('node_modules');
const self = new Map<string, number>();
const byVigil = new Map<string, number>();
let total = 0;
const walk = (n: Node, stack: Frame[]) => {
  const at = [...stack, n.callFrame];
  if (n.selfSize) {
    total += n.selfSize;
    self.set(name(n.callFrame), (self.get(name(n.callFrame)) ?? 0) + n.selfSize);
    let i = at.length - 1;
    while (i >= 0 && !ours(at[i])) i--;
    const key = i < 0 ? `(no vigil frame) ${name(n.callFrame)}` : `${name(at[i])}${i < at.length - 1 ? ` -> ${name(at[i + 1])}` : ''}`;
    byVigil.set(key, (byVigil.get(key) ?? 0) + n.selfSize);
  }
  for (const c of n.children) walk(c, at);
};
walk(profile.head, []);
const top = (m: Map<string, number>) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([k, v]) => `  ${(v / readings).toFixed(0).padStart(6)} B/reading ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`).join('\n');
console.log(`${SENSORS} sensors x ${RATE}/s, ${SECS} s: ${readings} readings, ${windows} windows scored, ${(total / 1e6).toFixed(1)} MB sampled = ${(total / Math.max(1, readings)).toFixed(0)} bytes per reading${PROMOTED ? ' promoted to the old generation' : ''}`);
console.log(`by allocating function:\n${top(self)}`);
console.log(`by innermost vigil frame (-> what it called):\n${top(byVigil)}`);
process.exit(0);
