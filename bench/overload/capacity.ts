/**
 * Capacity of a running `vigil run`, measured by a ramp: offer a rate for SETTLE s (unmeasured: adaptive batching may need a moment to grow its batches) then MEASURE s; a step
 * passes when windows scored / readings sent >= 0.98 and the backlog (readings sent but not yet decoded, plus windows
 * waiting for inference) grew by no more than 50 ms of arrivals. Rates go up x1.25 until a step fails, then two
 * bisection steps between the last pass and the first failure (about 5 % resolution); the capacity is the highest
 * rate that passed. After a failed step the backlog is drained before the next.
 */
import { backlog, drain, type SensorLoad } from '../lib/load.ts';
import { scrape } from '../lib/vigil.ts';

/** One step of the ramp. */
export interface RampStep {
  repeat: number;
  offered: number;
  /** Readings/s the publisher actually sent in the measured seconds. */
  published: number;
  achieved: number;
  backlogGrowth: number;
  pass: boolean;
}

/** Offer `rate` for settle + measure seconds and judge the step. */
async function step(url: string, load: SensorLoad, rate: number, repeat: number, settleS: number, measureS: number): Promise<RampStep> {
  await load.pace(rate, settleS);
  const a = await scrape(url);
  const sa = load.sent;
  const t0 = performance.now();
  await load.pace(rate, measureS);
  const b = await scrape(url);
  const sb = load.sent;
  const el = (performance.now() - t0) / 1000;
  const achieved = ((b.vigil_windows_scored_total ?? 0) - (a.vigil_windows_scored_total ?? 0)) / Math.max(1, sb - sa);
  const backlogGrowth = backlog(b, sb) - backlog(a, sa);
  const pass = achieved >= 0.98 && backlogGrowth <= Math.max(64, 0.05 * rate);
  const st = { repeat, offered: Math.round(rate), published: (sb - sa) / el, achieved, backlogGrowth, pass };
  process.stderr.write(`overload: ramp #${repeat} ${st.offered}/s: published ${st.published.toFixed(0)}/s, scored/sent ${achieved.toFixed(3)}, backlog ${backlogGrowth >= 0 ? '+' : ''}${backlogGrowth} -> ${pass ? 'pass' : 'fail'}\n`);
  return st;
}

/** Ramp from `start` readings/s; returns the capacity (readings = windows per second) and every step. */
export async function rampCapacity(url: string, load: SensorLoad, o: { start: number; repeat: number; settleS: number; measureS: number }): Promise<{ capacity: number; steps: RampStep[] }> {
  const steps: RampStep[] = [];
  const run = async (rate: number) => {
    const st = await step(url, load, rate, o.repeat, o.settleS, o.measureS);
    steps.push(st);
    if (!st.pass) await drain(url, load);
    return st.pass;
  };
  let lo = 0;
  let hi = o.start;
  // Up until a step fails (or, when the start already fails, down until one passes).
  if (await run(hi)) {
    for (lo = hi, hi *= 1.25; await run(hi); hi *= 1.25) lo = hi;
  } else {
    for (lo = hi / 1.25; lo > 10 && !(await run(lo)); lo /= 1.25) hi = lo;
  }
  for (let k = 0; k < 2; k++) {
    const mid = Math.sqrt(lo * hi);
    if (await run(mid)) lo = mid;
    else hi = mid;
  }
  return { capacity: lo, steps };
}
