/**
 * A warning when verdicts fall behind their readings: a sampled window judged more than `log.lagWarnMs` after the
 * reading that completed it arrived (the arrival -> verdict latency runtime/ops/deliver.ts samples for
 * vigil_verdict_latency_seconds). Inference slower than intake (a heavy model on a small CPU, a backlog flushed at
 * once) made every alert seconds late with nothing in the log. The first sample over the bar is logged at once, later
 * ones summed into one line a minute (runtime/util/rate-limited-warning.ts) with the worst lag and the backlog then; once no
 * sample has been over the bar for LAG_SETTLE_MS, the next one below it logs one info line: caught up. The settle time
 * keeps a round-robin backlog, whose lanes mix fresh windows with late ones, from reading as caught up and behind by turns.
 */
import type { RunConfig } from '../config/schema.ts';
import { humanDuration } from '../util/format-time.ts';
import { realClock, worstExampleWarning, type WarnLogger, type WarningClock } from '../util/rate-limited-warning.ts';

/** Least time between two warnings while verdicts stay behind (ms). */
export const LAG_WARNING_INTERVAL_MS = 60_000;

/** How long no sampled verdict may be over the bar before verdicts count as caught up (ms). */
export const LAG_SETTLE_MS = 10_000;

/** What the lag watch needs of the logger. */
export interface LagLogger extends WarnLogger {
  info(obj: object, msg: string): void;
}

/** The windows waiting for inference now (PipelineCounters' gauges), read at each sample over the bar. */
export interface Backlog {
  pending: number;
  pendingBytes: number;
}

/**
 * How the warning words it: what was judged late after what, the backlog then, and what to do. `vigil run` judges
 * windows after their readings arrived; a JetStream fleet worker judges readings after the bridge stored them, with
 * the partition's messages still in the stream as its backlog (a worker slower than the sensors said nothing before).
 */
export interface LagWording {
  /** What was judged how late (`lag`: "up to 3.2 s" in a warning, "40 ms" once caught up). */
  judged(lag: string): string;
  backlog(b: Backlog): string;
  /** The backlog as the warning's fields. */
  fields(b: Backlog): object;
  advice: string;
}

/** `vigil run`'s: windows behind inference. */
export const RUN_LAG_WORDING: LagWording = {
  judged: (lag) => `windows judged ${lag} after their readings arrived`,
  backlog: ({ pending, pendingBytes }) => `${pending} window(s) waiting for inference then (${(pendingBytes / 1e6).toFixed(1)} MB): inference is slower than intake and alerts come that late`,
  fields: ({ pending, pendingBytes }) => ({ pendingWindows: pending, pendingBytes }),
  advice: 'Give it a smaller or faster model, more cores (inference.threads), inference.worker, larger batches (batch.size, batch.maxBatch), lowMemory: false, or fewer sensors per gateway',
};

/** The lag watch: `observe(ms)` per sampled verdict, `flush()` on stop to log what is still unreported. */
export interface VerdictLag {
  observe(lagMs: number): void;
  flush(): void;
}

/** `2.4 s`, `850 ms`, `3m 05s`. */
function lagText(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : humanDuration(ms);
}

/** Watch sampled verdict latencies against `config.lagWarnMs` (0: never warn); `backlog` is read at each sample over it. */
export function verdictLag(log: LagLogger, config: Pick<RunConfig['log'], 'lagWarnMs'>, backlog: () => Backlog, clock: WarningClock = realClock, words: LagWording = RUN_LAG_WORDING): VerdictLag {
  const bar = config.lagWarnMs;
  // The episode: since when verdicts are behind, the last sample over the bar, the worst of them all.
  let since: number | undefined;
  let lastOver = 0;
  let worst = 0;
  // The backlog as it was at the worst sample: read at the line, a minute later, it had often drained (a probe: `0
  // window(s) waiting` under a 3.8 s lag).
  const warning = worstExampleWarning<{ lagMs: number } & Backlog>(
    log,
    (count, _keys, _n, { lagMs, pending, pendingBytes }) => [
      { lagMs: Math.round(lagMs), samples: count, ...words.fields({ pending, pendingBytes }), lagWarnMs: bar },
      `verdicts are behind: ${words.judged(`up to ${lagText(lagMs)}`)} (over log.lagWarnMs, ${bar} ms; ${count} sampled verdict(s) since the last line), ${words.backlog({ pending, pendingBytes })}. ${words.advice}`,
    ],
    (a, b) => a.lagMs > b.lagMs,
    LAG_WARNING_INTERVAL_MS,
    clock,
  );
  return {
    observe(lagMs) {
      if (!(bar > 0)) return;
      const now = clock.now();
      if (lagMs > bar) {
        since ??= now;
        lastOver = now;
        worst = Math.max(worst, lagMs);
        const { pending, pendingBytes } = backlog();
        warning.add('lag', { lagMs, pending, pendingBytes });
        return;
      }
      if (since === undefined || now - lastOver < LAG_SETTLE_MS || lagMs > bar / 2) return;
      // What is still summed goes first, so the lines read in order.
      warning.flush();
      log.info({ lagMs: Math.round(lagMs), behindMs: lastOver - since, worstLagMs: Math.round(worst) }, `verdicts caught up: ${words.judged(lagText(lagMs))}, after ${humanDuration(lastOver - since)} behind (worst ${lagText(worst)})`);
      since = undefined;
      worst = 0;
    },
    flush: warning.flush,
  };
}
