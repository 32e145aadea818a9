/**
 * What a sensor's window stage remembers of the readings it accepted, to tell a repeat from a new reading: a QoS 1
 * broker that restarts redelivers readings vigil already judged (same timestamp, same values), and those are
 * duplicates to ignore, not readings lost. The copies are the readings the broker had queued for vigil at its last
 * save of its sessions (Mosquitto: autosave_interval) and vigil acknowledged after: readings vigil received in the
 * seconds before the broker went down. So what is remembered is bounded by arrival time (`horizonMs` before the
 * sensor's newest accepted reading arrived), not by a count nor by data time: at 5,000 readings/s a copy from 2 s
 * back is 10,000 readings old, and a replay of 1 Hz data at that rate puts it 10,000 s back in data time. A slow
 * sensor's copies may be far back in time but are few readings back, so its last `minReadings` are kept whatever
 * their age. Each accepted reading is kept as its timestamp, its arrival (ms, 32 bits: ages up to 24 days) and a
 * 32-bit digest of its timestamp and its values of the model's channels: 16 bytes, whatever the model's width. A
 * digest match at the same timestamp is taken as the same reading (two different readings share one once in 2^32).
 *
 * Memory is bounded twice: per sensor (`maxPerSensor` readings) and in all (`SharedBudget`, ring slots over every
 * sensor). A reading forgotten within the horizon because of either bound is counted as shed (a later copy of it
 * counts out_of_order, as any late reading).
 */
import { fmix32 } from '../util/prng.ts';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Mix a 32-bit word into the hash (murmur3's block step). */
function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * Digest of a reading: its timestamp and, in the card's channel order, each channel's value (`values`: the reading's
 * value of each channel, as ReadingRow `read` gives them), a channel without a finite value marked as absent (a copy
 * lacks exactly what the original lacked). Keys outside the channels are ignored: they never reach the model.
 */
export function readingDigest(ts: number, values: ArrayLike<unknown>): number {
  f64[0] = ts;
  let h = mix(mix(0x9747b28c, u32[0]), u32[1]);
  for (let c = 0; c < values.length; c++) {
    const v = values[c];
    if (typeof v === 'number' && Number.isFinite(v)) {
      f64[0] = v;
      h = mix(mix(h, u32[0]), u32[1]);
    } else h = mix(h, 0x7ff80001);
  }
  return fmix32(h);
}

/** The bound on readings remembered over all sensors of one window stage, and the tally it keeps. */
export class SharedBudget {
  /** Ring slots allocated over all sensors (16 bytes each). */
  allocated = 0;

  constructor(
    readonly maxReadings: number,
    /** Counters to keep: slots allocated now (a gauge) and readings forgotten inside the horizon (a total). */
    readonly tally: { duplicateMemoryReadings: number; duplicateMemoryShed: number },
  ) {
    if (!Number.isInteger(maxReadings) || maxReadings < 1) throw new Error(`SharedBudget: maxReadings must be an integer >= 1, got ${maxReadings}`);
  }

  /** Take `n` more slots if the bound allows. */
  take(n: number): boolean {
    if (this.allocated + n > this.maxReadings) return false;
    this.allocated += n;
    this.tally.duplicateMemoryReadings = this.allocated;
    return true;
  }

  /** Give back `n` slots. */
  give(n: number): void {
    this.allocated -= n;
    this.tally.duplicateMemoryReadings = this.allocated;
  }
}

/** Ring slots a sensor starts with (grown by doubling while its rate x horizon needs more). */
const INITIAL_SLOTS = 32;

/**
 * The timestamps and digests of a sensor's accepted readings that arrived within `horizonMs` before the newest (and
 * its last `minReadings`). Accepted readings have strictly increasing timestamps, so the ring is sorted by timestamp
 * and a lookup is a binary search.
 */
export class RecentReadings {
  private ts: Float64Array;
  private digests: Uint32Array;
  /** Arrival (ms) modulo 2^32; ages are taken as signed 32-bit differences, so a clock step back forgets nothing. */
  private arrivals: Uint32Array;
  /** Slot of the oldest remembered reading. */
  private head = 0;
  private count = 0;

  constructor(
    readonly horizonMs: number,
    /** Readings kept whatever their age, the newest included. */
    readonly minReadings: number,
    readonly maxPerSensor: number,
    private readonly budget: SharedBudget,
  ) {
    if (!(horizonMs >= 0)) throw new Error(`RecentReadings: horizonMs must be a number >= 0, got ${horizonMs}`);
    if (!Number.isInteger(minReadings) || minReadings < 1) throw new Error(`RecentReadings: minReadings must be an integer >= 1, got ${minReadings}`);
    if (!Number.isInteger(maxPerSensor) || maxPerSensor < 1) throw new Error(`RecentReadings: maxPerSensor must be an integer >= 1, got ${maxPerSensor}`);
    const first = Math.min(INITIAL_SLOTS, maxPerSensor);
    const slots = budget.take(first) ? first : 0;
    this.ts = new Float64Array(slots);
    this.digests = new Uint32Array(slots);
    this.arrivals = new Uint32Array(slots);
  }

  /** Readings remembered now. */
  get size(): number {
    return this.count;
  }

  /** Remember an accepted reading (newer than every one remembered) that arrived at `arrivalMs`; forget those past the horizon. */
  add(ts: number, digest: number, arrivalMs: number): void {
    const now = Math.floor(arrivalMs) >>> 0;
    while (this.count >= this.minReadings && ((now - this.arrivals[this.head]) | 0) > this.horizonMs) this.dropOldest();
    if (this.count >= this.maxPerSensor || (this.count === this.ts.length && !this.grow())) {
      // A bound, not the horizon, makes room: the oldest reading is forgotten early (none to forget: not remembered).
      this.budget.tally.duplicateMemoryShed++;
      if (this.count === 0) return;
      this.dropOldest();
    }
    const slot = (this.head + this.count) % this.ts.length;
    this.ts[slot] = ts;
    this.digests[slot] = digest;
    this.arrivals[slot] = now;
    this.count++;
  }

  /** The digest remembered for timestamp `ts`, or undefined when none is. */
  digestAt(ts: number): number | undefined {
    const slot = this.slotOf(ts);
    return slot === undefined ? undefined : this.digests[slot];
  }

  /** The slot holding timestamp `ts`, if remembered. */
  private slotOf(ts: number): number | undefined {
    const n = this.ts.length;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[(this.head + mid) % n] < ts) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.count) return undefined;
    const slot = (this.head + lo) % n;
    return this.ts[slot] === ts ? slot : undefined;
  }

  /** Whether a remembered reading has this timestamp and digest. */
  has(ts: number, digest: number): boolean {
    const slot = this.slotOf(ts);
    return slot !== undefined && this.digests[slot] === digest;
  }

  /** The readings remembered with a timestamp after `ts`, oldest first (a clock step sets them aside: window-by-sensor.ts). */
  after(ts: number): { ts: number; digest: number }[] {
    const out: { ts: number; digest: number }[] = [];
    const n = this.ts.length;
    for (let i = this.count - 1; i >= 0; i--) {
      const slot = (this.head + i) % n;
      if (!(this.ts[slot] > ts)) break;
      out.push({ ts: this.ts[slot], digest: this.digests[slot] });
    }
    return out.reverse();
  }

  /**
   * The readings remembered with a timestamp before `ts`, oldest first: a stop keeps those before its window's tail, so
   * a copy of one redelivered after the restart is still told from a new reading (sensor-tails.ts).
   */
  before(ts: number): { ts: number[]; digests: number[] } {
    const out = { ts: [] as number[], digests: [] as number[] };
    const n = this.ts.length;
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) % n;
      if (!(this.ts[slot] < ts)) break;
      out.ts.push(this.ts[slot]);
      out.digests.push(this.digests[slot]);
    }
    return out;
  }

  /** Forget everything and give the memory back (the sensor was evicted or the stage stopped). */
  release(): void {
    this.budget.give(this.ts.length);
    this.ts = new Float64Array(0);
    this.digests = new Uint32Array(0);
    this.arrivals = new Uint32Array(0);
    this.head = 0;
    this.count = 0;
  }

  private dropOldest(): void {
    this.head = (this.head + 1) % this.ts.length;
    this.count--;
  }

  /** Double the ring (up to what maxPerSensor needs) if the shared budget allows. */
  private grow(): boolean {
    const old = this.ts.length;
    const next = Math.min(Math.max(old * 2, INITIAL_SLOTS), this.maxPerSensor);
    if (next <= old || !this.budget.take(next - old)) return false;
    const ts = new Float64Array(next);
    const digests = new Uint32Array(next);
    const arrivals = new Uint32Array(next);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % old;
      ts[i] = this.ts[from];
      digests[i] = this.digests[from];
      arrivals[i] = this.arrivals[from];
    }
    this.ts = ts;
    this.digests = digests;
    this.arrivals = arrivals;
    this.head = 0;
    return true;
  }
}
