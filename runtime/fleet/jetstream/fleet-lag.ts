/**
 * The verdict-lag warning of a JetStream fleet worker (runtime/ops/verdict-lag.ts, as `vigil run` has it): a batch
 * judged more than `log.lagWarnMs` after the bridge stored its last reading means the workers judge slower than the
 * sensors publish, and every alert comes that late; the stream holds the backlog, so nothing in the worker's memory
 * said so (a review: a worker minutes behind logged nothing). Warned at once, then summed a minute, with the
 * partition's messages still waiting; one info line once caught up.
 */
import type { RunConfig } from '../../config/schema.ts';
import { verdictLag, type LagLogger, type LagWording, type VerdictLag } from '../../ops/verdict-lag.ts';
import { realClock, type WarningClock } from '../../util/rate-limited-warning.ts';

/** A fleet worker's words for it: readings behind the stream. */
export const FLEET_LAG_WORDING: LagWording = {
  judged: (lag) => `readings judged ${lag} after the bridge stored them in the stream`,
  backlog: ({ pending }) => `${pending} message(s) of that partition still waiting in the stream then: the workers judge slower than the sensors publish, and alerts come that late`,
  fields: ({ pending }) => ({ waitingMessages: pending }),
  advice: 'Add workers (each takes a share of the partitions), give them a smaller or faster model, more cores (inference.threads), or larger batches (fleet.jetstream.fetchBatch, batch.size)',
};

/** The watch of one worker: `judged(lagMs, waiting)` per batch (RunnerContext.onJudged), `flush()` at its stop. */
export function fleetLag(log: LagLogger, config: Pick<RunConfig['log'], 'lagWarnMs'>, clock: WarningClock = realClock): { judged(lagMs: number, waiting: number): void; flush(): void } {
  let waiting = 0;
  const lag: VerdictLag = verdictLag(log, config, () => ({ pending: waiting, pendingBytes: 0 }), clock, FLEET_LAG_WORDING);
  return {
    judged(lagMs, w) {
      waiting = w;
      lag.observe(lagMs);
    },
    flush: lag.flush,
  };
}
