/**
 * The words of a JetStream fleet worker's lag lines (runtime/fleet/jetstream/fleet-lag.ts): readings judged after the
 * bridge stored them, the partition's messages still in the stream as the backlog, and what to do in a fleet; the
 * episode logic is verdict-lag.ts's own (test/ops/verdict-lag.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { fleetLag } from '../../runtime/fleet/jetstream/fleet-lag.ts';
import { LAG_SETTLE_MS } from '../../runtime/ops/verdict-lag.ts';
import { capturingLogger } from '../ops/harness.ts';

describe('fleet worker lag lines', () => {
  it('say how far behind the stream, how many messages wait, what to do, and when it caught up', () => {
    const { lines, logger } = capturingLogger('info');
    let now = 0;
    const lag = fleetLag(logger, { lagWarnMs: 2000 }, { now: () => now, setTimeout: () => undefined, clearTimeout: () => {} });
    lag.judged(500, 10);
    expect(lines).toHaveLength(0);
    lag.judged(42_000, 18_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, lagMs: 42_000, waitingMessages: 18_000 });
    expect(lines[0]).not.toHaveProperty('pendingWindows');
    expect(lines[0]).not.toHaveProperty('pendingBytes');
    expect(lines[0].msg).toBe(
      'verdicts are behind: readings judged up to 42.0 s after the bridge stored them in the stream (over log.lagWarnMs, 2000 ms; 1 sampled verdict(s) since the last line), 18000 message(s) of that partition still waiting in the stream then: the workers judge slower than the sensors publish, and alerts come that late. Add workers (each takes a share of the partitions), give them a smaller or faster model, more cores (inference.threads), or larger batches (fleet.jetstream.fetchBatch, batch.size)',
    );
    now += LAG_SETTLE_MS;
    lag.judged(120, 0);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 30, msg: 'verdicts caught up: readings judged 120 ms after the bridge stored them in the stream, after 0s behind (worst 42.0 s)' });
  });
});
