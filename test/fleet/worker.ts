/**
 * A fleet worker for the scale-out tests: `startRuntime` (what `vigil run` runs) on the config file given as
 * the first argument, reporting on stdout, one JSON line each, its fleet views, the partitions the broker has
 * confirmed its subscriptions for, and every reading it decoded,
 * so the test can check which worker processed what. SIGTERM stops it gracefully.
 */
import { readFileSync } from 'node:fs';
import { defineConfig } from '../../runtime/config/load.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const cfg = defineConfig(JSON.parse(readFileSync(process.argv[2], 'utf8')));
// Info on stderr: the test reads the fleet's 'adopted sensor states' lines.
const handle = await startRuntime(cfg, { logger: createLogger('info') });
handle.readings.subscribe((r) => out({ e: 'r', s: r.sensor, t: r.ts }));
handle.fleet?.views.subscribe((v) => out({ e: 'view', worker: handle.fleet!.workerId, ...v }));
handle.fleet?.subscribed.subscribe((p) => out({ e: 'subscribed', worker: handle.fleet!.workerId, partitions: p }));
out({ e: 'ready', worker: handle.fleet?.workerId, health: handle.health().fleet });
process.once('SIGTERM', () => {
  void handle.stop().then(() => process.exit(0));
});
