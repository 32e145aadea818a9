/**
 * Which rejected messages get a log line: the first of each reason for each sensor (its detail says what was wrong
 * with that device's messages), at most FIRST_LINES of those a minute over all sensors, and every 1000th of each
 * reason; the dead letters keep every one. Keyed by reason alone, a second device sending epoch microseconds never
 * showed in the log once a first one's bad timestamps had (a probe); unbounded, a flood of junk topics would flood it.
 */
import type { Rejected } from '../stream/types.ts';
import { lruGet } from '../util/lru.ts';
import { windowBudget } from '../util/window-budget.ts';

/** First-of-a-sensor lines at most per minute, over all sensors and reasons. */
export const FIRST_LINES = 20;
/** Sensor-and-reason pairs remembered (the least recently seen forgotten first: logged again when seen again). */
const REMEMBERED = 10_000;

/** The longest topic and detail a rejection's log line holds (characters); the dead letter keeps them whole. */
export const LOGGED_TOPIC_CHARS = 256;
export const LOGGED_DETAIL_CHARS = 512;

/**
 * `text` cut to `max` characters, saying how long it was: a publisher's 60,000-character topic was logged whole,
 * twice (topic and detail), 120 KB a line.
 */
export function clipped(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

/** Decides, per rejection, whether it is logged. */
export interface RejectionLog {
  /** Whether to log `r`, the `count`th rejection of its reason. */
  shouldLog(r: Rejected, count: number, now: number): boolean;
}

export function rejectionLog(): RejectionLog {
  const seen = new Map<string, true>();
  const firstLines = windowBudget(FIRST_LINES, 60_000);
  return {
    shouldLog(r, count, now) {
      const key = `${r.reason}\u0000${r.sensor ?? ''}`;
      const fresh = !seen.has(key);
      lruGet(seen, key, () => true, REMEMBERED);
      if (count === 1 || count % 1000 === 0) return true;
      return fresh && firstLines.take(now);
    },
  };
}
