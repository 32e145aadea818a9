/** Shared builders for stream tests. */
import { expect } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import type { Reading } from '../../runtime/stream/types.ts';

/** A TestScheduler asserting with vitest's deep equality. */
export const newScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** A reading; arrival time defaults to the data timestamp. */
export function rd(sensor: string, ts: number, values: Record<string, number>, receivedAt = ts): Reading {
  return { sensor, ts, values, receivedAt };
}
