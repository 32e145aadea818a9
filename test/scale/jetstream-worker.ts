/**
 * A JetStream fleet worker for the scale-out tests: `startJetStreamWorker` (what `vigil fleet worker --jetstream`
 * runs) on the config file given as the first argument, reporting on stdout, one JSON line each, the partitions it
 * owns and every verdict it published (with whether the results stream already had it). SIGTERM stops it gracefully.
 */
import { readFileSync } from 'node:fs';
import { workerRunConfig } from '../../runtime/fleet/jetstream/worker-config.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startJetStreamWorker } from '../../runtime/fleet/jetstream/worker.ts';

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const cfg = workerRunConfig(JSON.parse(readFileSync(process.argv[2], 'utf8')));
const worker = await startJetStreamWorker({
  config: cfg,
  log: createLogger('info'),
  onOwned: (partitions) => out({ e: 'owned', partitions }),
  onVerdict: (k, seq, dup) => out({ e: 'v', k, seq, dup }),
});
out({ e: 'ready', worker: worker.workerId, owned: worker.owned() });
process.once('SIGTERM', () => {
  void worker.stop().then(() => {
    out({ e: 'stopped' });
    process.exit(0);
  });
});
