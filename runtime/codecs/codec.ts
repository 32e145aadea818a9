/**
 * The payload codec contract: bytes of one message in, zero or more Readings out, or a Rejected that says
 * what was expected. A codec never throws; every failure becomes a reason code that is counted and dead-lettered.
 */
import type { RawMessage, Reading, Rejected } from '../stream/types.ts';

/** Reason codes a codec or the decode stage may give; metrics are labelled by these. */
export const REJECT_REASONS = [
  'too_large',
  'not_utf8',
  'bad_json',
  'bad_shape',
  'bad_value',
  'out_of_range',
  'no_known_channels',
  'missing_path',
  'wrong_channel_count',
  'bad_timestamp',
  'missing_timestamp',
  'bad_csv',
  'bad_protobuf',
  'unknown_alias',
  'historical',
  'unknown_topic',
  'bad_sensor_id',
] as const;
/** One reason code. */
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Where a message came from, as mapped from its topic by the topic template. */
export interface TopicInfo {
  sensor: string;
  /** Channel named by the topic (`{channel}` part), for one-value-per-topic codecs. */
  channel?: string;
}

/** What a codec returns: readings (possibly none yet, e.g. while joining channels) or a rejection. */
export type DecodeResult = Reading[] | Rejected;

/** How timestamps are taken from payloads. */
export interface TimestampOptions {
  /** `auto`: payload when present, else arrival; `payload`: required; `arrival`: ignore the payload's. */
  source: 'auto' | 'payload' | 'arrival';
  /** Field name in JSON payloads. */
  field: string;
  /** `auto` tells epoch seconds from milliseconds by magnitude and also reads ISO 8601 strings. */
  unit: 'auto' | 'ms' | 's' | 'iso';
  /** Readings stamped further than this ahead of arrival are rejected (clock or unit errors). */
  maxFutureMs: number;
  /**
   * Readings stamped before this (epoch ms) are rejected: a device clock never set (1970 plus its uptime), a counter,
   * a number read as a timestamp ('40,5' with a decimal comma). Absent: 2000-01-01; lower it to replay older recordings.
   */
  notBefore?: number;
}

/** Where `notBefore` is when a config does not say: 2000-01-01T00:00:00Z. */
export const NOT_BEFORE_DEFAULT = Date.UTC(2000, 0, 1);

/** What every codec needs to know: the card's channels and timestamp handling. */
export interface CodecContext {
  /** Channel names in the model card's order. */
  channels: readonly string[];
  timestamp: TimestampOptions;
  /** Where channels sit in the payload (`source.channels`, see channel-paths.ts); absent: under their own names. */
  paths?: Readonly<Record<string, string>>;
  /** Publishes what a codec asks of the devices (a Sparkplug rebirth request); absent: nothing is asked. */
  request?: (r: CodecRequest) => void;
  /** Logs what a codec saw that an operator should know and that is no rejection (a Sparkplug seq gap); rate-limited by the codec. */
  note?: (fields: Record<string, unknown>, msg: string) => void;
  /** Counts `n` (default 1) of what a codec saw of the devices' sessions (a Sparkplug `seq_gap`), for /metrics. */
  count?: (event: string, n?: number) => void;
  /** A device said it went offline (a Sparkplug death certificate): the sensor and why (`DDEATH`, `NDEATH`). */
  offline?: (sensor: string, cause: string) => void;
}

/** A message a codec asks to send back towards the publishers, e.g. a Sparkplug Node Control/Rebirth NCMD. */
export interface CodecRequest {
  topic: string;
  payload: Uint8Array;
  /** What is asked and why, for the log. */
  note: string;
}

/** A payload codec. Stateful ones (bare number joining) keep state per instance, made by the registry. */
export interface Codec {
  /** Name as used in config. */
  readonly name: string;
  /** Decode one message of a known sensor; never throws. */
  decode(msg: RawMessage, where: TopicInfo): DecodeResult;
  /**
   * The largest payload this codec reads on `topic`, given the configured bound (`source.maxPayloadBytes`); absent:
   * the bound. A Sparkplug birth lists every metric of a device and may exceed what its DATA ever need.
   */
  payloadLimit?(topic: string, bound: number): number;
  /**
   * A message refused before decoding (too large, or a topic naming no usable sensor): a codec that follows its
   * publishers' sessions notes that it was sent (a Sparkplug node's `seq` counts every message, read or not).
   */
  refused?(msg: RawMessage): void;
  /**
   * What a codec knows of its publishers' sessions that a restart would lose (a Sparkplug node's aliases): `save` gives
   * it JSON-safe (undefined: nothing), `restore` takes it up at the next start (throws on anything else; returns how
   * many sessions). Kept beside the state file (runtime/ops/codec-sessions.ts).
   */
  sessions?: { save(): object | undefined; restore(saved: unknown): number };
  /**
   * Rows still being joined when intake ends (a stop), let go as they are, each with the topic of its latest value:
   * their values were accepted (acknowledged at QoS 1), and the drain scores them (bare-number.ts).
   */
  flush?(): HeldRow[];
}

/** A row a codec held when intake ended (`Codec.flush`), and the topic of its latest value. */
export interface HeldRow {
  reading: Reading;
  topic: string;
}

/** Default timestamp handling. */
export const DEFAULT_TIMESTAMP: TimestampOptions = { source: 'auto', field: 'ts', unit: 'auto', maxFutureMs: 24 * 3600_000, notBefore: NOT_BEFORE_DEFAULT };

/** Build a rejection for a message. */
export function reject(msg: RawMessage, reason: RejectReason, detail: string): Rejected {
  return { reason, detail, topic: msg.topic, payload: msg.payload, receivedAt: msg.receivedAt };
}

/** Whether a decode result is a rejection. */
export function isRejected(r: DecodeResult): r is Rejected {
  return !Array.isArray(r);
}
