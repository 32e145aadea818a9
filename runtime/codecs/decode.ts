/**
 * The decode stage: RawMessage -> Reading. Maps the topic to a sensor, bounds the payload size, runs the
 * codec, checks the readings against the model card's physical ranges, and hands every rejection to a side
 * channel (counted and dead-lettered by the caller); nothing a publisher sends can error or complete the stream.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { RawMessage, Reading, Rejected } from '../stream/types.ts';
import { outOfRangeText, rangeCheckOf, type Ranges } from '../model/ranges.ts';
import { isRejected, reject, type Codec, type TopicInfo } from './codec.ts';

/** What the decode stage needs. */
export interface DecodeOptions {
  codec: Codec;
  /** Topic -> sensor (and channel), or why the topic maps to none. */
  route: (topic: string) => TopicInfo | { reason: 'unknown_topic' | 'bad_sensor_id'; error: string };
  /** Larger payloads are rejected before parsing. */
  maxPayloadBytes: number;
  /** Side channel for rejected messages. */
  onRejected: (r: Rejected) => void;
  /** Admission pool of a topic (runtime/stream/admission.ts), stamped on its readings; omit when there are no rules. */
  poolOf?: (topic: string) => number;
  /**
   * The serving model's physical ranges (its card's `ranges`), asked for each message so a hot-reloaded card
   * applies at once; a message with a reading outside is rejected whole as `out_of_range`, like a bad value.
   */
  ranges?: () => Readonly<Ranges> | undefined;
}

/** Decode one message to readings, or a rejection; never throws. */
export function decodeMessage(msg: RawMessage, opts: Omit<DecodeOptions, 'onRejected'>): Reading[] | Rejected {
  const limit = opts.codec.payloadLimit?.(msg.topic, opts.maxPayloadBytes) ?? opts.maxPayloadBytes;
  if (msg.payload.byteLength > limit) {
    opts.codec.refused?.(msg);
    const why = limit === opts.maxPayloadBytes ? '(source.maxPayloadBytes)' : `(codec ${opts.codec.name}'s bound for this topic, from source.maxPayloadBytes ${opts.maxPayloadBytes})`;
    return reject(msg, 'too_large', `payload is ${msg.payload.byteLength} bytes; expected at most ${limit} ${why}`);
  }
  const where = opts.route(msg.topic);
  if ('error' in where) {
    opts.codec.refused?.(msg);
    return reject(msg, where.reason, where.error);
  }
  let res: Reading[] | Rejected;
  try {
    res = opts.codec.decode(msg, where);
  } catch (err) {
    // Codecs are written not to throw; this keeps a codec bug from taking the stream down with it.
    res = reject(msg, 'bad_shape', `codec '${opts.codec.name}' failed: ${(err as Error).message}`);
  }
  if (isRejected(res)) return { ...res, sensor: where.sensor };
  const ranges = opts.ranges?.();
  if (ranges) {
    const check = rangeCheckOf(ranges);
    for (const r of res) {
      const o = check(r.values);
      if (o) return { ...reject(msg, 'out_of_range', outOfRangeText(o)), sensor: r.sensor, outOfRange: o };
    }
  }
  return res;
}

/** Operator: decode messages, emit readings, send rejections to `onRejected`. */
export function decode(opts: DecodeOptions): OperatorFunction<RawMessage, Reading> {
  return (source) =>
    new Observable<Reading>((sub) =>
      source.subscribe({
        next(msg) {
          const r = decodeMessage(msg, opts);
          if (Array.isArray(r)) {
            const pool = opts.poolOf?.(msg.topic);
            for (const reading of r) {
              if (pool !== undefined) reading.pool = pool;
              sub.next(reading);
            }
          }
          else {
            try {
              opts.onRejected(r);
            } catch {
              // The side channel failing (e.g. a full disk under the dead-letter file) must not stop intake.
            }
          }
        },
        error: (e) => sub.error(e),
        complete() {
          // Intake ended (a stop): rows a codec still joins go as they are, held to the ranges like any reading.
          for (const { reading, topic } of opts.codec.flush?.() ?? []) {
            const ranges = opts.ranges?.();
            const o = ranges && rangeCheckOf(ranges)(reading.values);
            if (!o) {
              const pool = opts.poolOf?.(topic);
              if (pool !== undefined) reading.pool = pool;
              sub.next(reading);
              continue;
            }
            try {
              opts.onRejected({ reason: 'out_of_range', detail: outOfRangeText(o), topic, receivedAt: reading.receivedAt, sensor: reading.sensor, outOfRange: o });
            } catch {
              // As for any rejection: the side channel failing must not stop the drain.
            }
          }
          sub.complete();
        },
      }),
    );
}
