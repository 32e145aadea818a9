/**
 * What the adaptive thresholds learn, for the log: called now and then with every sensor's threshold, it
 * reports the sensors whose bar moved by at least `minChange` (relative) since last reported, at most
 * `maxLines` of them per call (the largest moves first) and a count of the rest, so a fleet of sensors cannot
 * flood the log. Each line: the bar in force, the kind's own level (above it when the rise bound holds it
 * back), scores learnt and kept out by the learning gate.
 */
import type { LearningSummary } from './gate.ts';
import type { Threshold } from './threshold.ts';

/** A threshold that can say what it learnt (the gate, or a wrapper around it). */
interface Summarising {
  summary(): LearningSummary | undefined;
}

/** The learning summary of a threshold, when it has one (adaptive kinds from the factory). */
export function learningOf(t: Threshold): LearningSummary | undefined {
  return typeof (t as Partial<Summarising>).summary === 'function' ? (t as unknown as Summarising).summary() : undefined;
}

/** Options of `createLearningLog`. */
export interface LearningLogOptions {
  /** Where lines go (e.g. a pino logger's `info`). */
  write: (fields: Record<string, unknown>, message: string) => void;
  /** Relative move of the bar that is worth a line (default 0.1). */
  minChange?: number;
  /** Lines per call at most (default 10). */
  maxLines?: number;
}

/** A rate-limited reporter of learnt levels; `report(sensors)` returns the number of lines written. */
export function createLearningLog(o: LearningLogOptions): { report(sensors: Iterable<[string, Threshold]>): number } {
  const minChange = o.minChange ?? 0.1;
  const maxLines = o.maxLines ?? 10;
  const last = new Map<string, number>();
  return {
    report(sensors) {
      const moved: { sensor: string; s: LearningSummary; change: number }[] = [];
      for (const [sensor, t] of sensors) {
        const s = learningOf(t);
        if (!s || !Number.isFinite(s.level)) continue;
        const before = last.get(sensor);
        const change = before === undefined ? Infinity : Math.abs(s.level - before) / before;
        if (change >= minChange) moved.push({ sensor, s, change });
      }
      moved.sort((a, b) => b.change - a.change);
      const shown = moved.slice(0, maxLines);
      for (const { sensor, s } of shown) {
        last.set(sensor, s.level);
        o.write({ sensor, level: s.level, kindLevel: s.kindLevel, learnt: s.learnt, keptOut: s.keptOut, pending: s.pending }, 'threshold level learnt');
      }
      if (moved.length > shown.length) o.write({ sensors: moved.length - shown.length }, 'threshold levels of more sensors moved (not listed)');
      return shown.length + (moved.length > shown.length ? 1 : 0);
    },
  };
}
