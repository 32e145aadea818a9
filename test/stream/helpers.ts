/** Shared builders for stream tests. */
import { expect } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import type { Reading, SensorWindow } from '../../runtime/stream/types.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';

/** A TestScheduler asserting with vitest's deep equality. */
export const newScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** A reading; arrival time defaults to the data timestamp. */
export function rd(sensor: string, ts: number, values: Record<string, number>, receivedAt = ts): Reading {
  return { sensor, ts, values, receivedAt };
}

/** Window 2 x 1 channel, identity scaler, span 1: with an all-zero reconstruction the score is the last value squared. */
export const tinyCard = tinyModel({ window: 2, channels: ['a'] }).card;

/** A window of `tinyCard`'s shape ending at `seq` with last value `x`. */
export const sw = (sensor: string, seq: number, x: number, scaler = tinyCard.scaler): SensorWindow => ({
  sensor, seq, tsFirst: seq - 1, tsLast: seq, receivedAt: seq, data: Float32Array.from([0, x]), scaler,
});
