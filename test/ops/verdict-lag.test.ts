/**
 * A warning when verdicts fall behind their readings (runtime/ops/verdict-lag.ts, fed by runtime/ops/deliver.ts from
 * the sampled arrival -> verdict latency): over log.lagWarnMs it says how far behind, the backlog and what to do, at
 * most one line a minute while it lasts, and one info line once it has caught up. Before, a slow model left every
 * alert seconds late with nothing in the log. Fake clocks: nothing here waits.
 */
import { describe, expect, it } from 'vitest';
import { LAG_SETTLE_MS, LAG_WARNING_INTERVAL_MS, verdictLag } from '../../runtime/ops/verdict-lag.ts';
import { deliverTo } from '../../runtime/ops/deliver.ts';
import type { FlowDeps } from '../../runtime/ops/flow.ts';
import { createEvents } from '../../runtime/ops/events.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { RunConfigSchema } from '../../runtime/config/schema.ts';
import type { WarningClock } from '../../runtime/util/rate-limited-warning.ts';
import type { Detection } from '../../runtime/stream/types.ts';
import { capturingLogger } from './harness.ts';

/** A clock whose one pending timer the test fires. */
function fakeClock(): WarningClock & { at: number; fire(): void } {
  let pending: (() => void) | undefined;
  return {
    at: 1_000_000,
    now() { return this.at; },
    setTimeout: (f) => (pending = f),
    clearTimeout: () => (pending = undefined),
    fire() { const f = pending; pending = undefined; f?.(); },
  };
}

const behind = (lines: Record<string, unknown>[]) => lines.filter((l) => String(l.msg).startsWith('verdicts are behind: '));
const caughtUp = (lines: Record<string, unknown>[]) => lines.filter((l) => String(l.msg).startsWith('verdicts caught up: '));

describe('verdict lag', () => {
  it('warns at once past log.lagWarnMs with the backlog and what to do, sums the rest a minute, and says when it caught up', () => {
    const { lines, logger } = capturingLogger('info');
    const clock = fakeClock();
    const backlog = { pending: 12_345, pendingBytes: 4_500_000 };
    const lag = verdictLag(logger, { lagWarnMs: 2000 }, () => backlog, clock);
    lag.observe(150);
    lag.observe(1999);
    expect(lines).toHaveLength(0);
    lag.observe(3200);
    expect(behind(lines)).toHaveLength(1);
    expect(behind(lines)[0]).toMatchObject({ level: 40, lagMs: 3200, samples: 1, pendingWindows: 12_345, pendingBytes: 4_500_000, lagWarnMs: 2000 });
    expect(behind(lines)[0].msg).toMatch(/^verdicts are behind: windows judged up to 3\.2 s after their readings arrived \(over log\.lagWarnMs, 2000 ms; 1 sampled verdict\(s\) since the last line\), 12345 window\(s\) waiting for inference then \(4\.5 MB\).*smaller or faster model.*inference\.threads.*batch\.maxBatch.*lowMemory/);
    // Still behind: summed, the worst named, at the minute's end. A fresh sensor's prompt verdict between (a round-robin
    // backlog mixes them) is no catching up.
    for (const [dt, ms] of [[1000, 5000], [1000, 80], [1000, 9100], [1000, 4000]]) {
      clock.at += dt;
      backlog.pending = ms * 10;
      lag.observe(ms);
    }
    // The backlog said is the one at the worst sample: by the line it may have drained.
    backlog.pending = 0;
    expect(caughtUp(lines)).toHaveLength(0);
    expect(behind(lines)).toHaveLength(1);
    clock.at += LAG_WARNING_INTERVAL_MS;
    clock.fire();
    expect(behind(lines)[1]).toMatchObject({ lagMs: 9100, samples: 3, pendingWindows: 91_000 });
    // Caught up: no sample over the bar for LAG_SETTLE_MS, then one at most half of it.
    const lastOver = clock.at - LAG_WARNING_INTERVAL_MS;
    clock.at = lastOver + LAG_SETTLE_MS - 1;
    lag.observe(40);
    expect(caughtUp(lines)).toHaveLength(0);
    clock.at = lastOver + LAG_SETTLE_MS;
    lag.observe(1500);
    expect(caughtUp(lines)).toHaveLength(0);
    lag.observe(40);
    expect(caughtUp(lines)).toHaveLength(1);
    expect(caughtUp(lines)[0]).toMatchObject({ level: 30, lagMs: 40, behindMs: 4000, worstLagMs: 9100 });
    expect(caughtUp(lines)[0].msg).toBe('verdicts caught up: windows judged 40 ms after their readings arrived, after 4s behind (worst 9.1 s)');
    // Said once. A new episode warns again: within a minute of the last warning at the minute's end (flapping stays
    // bounded), later at once.
    lag.observe(30);
    expect(caughtUp(lines)).toHaveLength(1);
    clock.at += 1000;
    lag.observe(2500);
    expect(behind(lines)).toHaveLength(2);
    clock.fire();
    expect(behind(lines)[2]).toMatchObject({ lagMs: 2500, samples: 1 });
    clock.at += LAG_SETTLE_MS;
    lag.observe(10);
    expect(caughtUp(lines)).toHaveLength(2);
    clock.at += LAG_WARNING_INTERVAL_MS;
    lag.observe(2100);
    expect(behind(lines)).toHaveLength(4);
    lag.flush();
    expect(behind(lines)).toHaveLength(4);
  });

  it('says nothing with log.lagWarnMs 0; the default is 2000 ms', () => {
    const { lines, logger } = capturingLogger('info');
    const lag = verdictLag(logger, { lagWarnMs: 0 }, () => ({ pending: 0, pendingBytes: 0 }), fakeClock());
    lag.observe(60_000);
    lag.flush();
    expect(lines).toHaveLength(0);
    expect(RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, broker: { url: 'mqtt://h' } }).log.lagWarnMs).toBe(2000);
  });

  it('is fed by the delivery of verdicts, from the latency it samples (1 verdict in 8), with the pipeline backlog', () => {
    const { lines, logger } = capturingLogger('info');
    const clock = fakeClock();
    const counters = createCounters();
    counters.pending = 777;
    counters.pendingBytes = 300_000;
    const observed: number[] = [];
    const deps = {
      log: logger,
      counters,
      events: createEvents(),
      metrics: { observeLatency: (ms: number) => observed.push(ms) },
      adaptation: () => undefined,
      sinks: () => ({ alert: () => {} }),
      thresholds: () => ({ persistSoon: () => {} }),
    } as unknown as FlowDeps;
    const delivery = deliverTo(deps, { lagWarnMs: 2000 }, clock);
    const detection = (lateMs: number) => ({ verdict: { sensor: 'pump-1', receivedAt: clock.at - lateMs }, alertOpen: false }) as unknown as Detection;
    for (let i = 0; i < 16; i++) delivery.deliver(detection(6000));
    expect(observed).toEqual([6000, 6000]);
    expect(delivery.latency.quantile(0.5)).toBe(6000);
    expect(behind(lines)).toHaveLength(1);
    expect(behind(lines)[0]).toMatchObject({ lagMs: 6000, pendingWindows: 777, pendingBytes: 300_000 });
    delivery.flush();
    expect(behind(lines)).toHaveLength(2);
    expect(behind(lines)[1]).toMatchObject({ samples: 1 });
  });
});
