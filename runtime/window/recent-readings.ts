/**
 * What a sensor's window stage remembers of the readings it accepted, to tell a repeat from a new reading: a QoS 1
 * broker that restarts redelivers readings vigil already judged (same timestamp, same values), and those are
 * duplicates to ignore, not readings lost. Each accepted reading is kept as a 32-bit digest of its timestamp and
 * its values of the model's channels, in a ring of the last `capacity` readings (4 bytes each), so remembering
 * costs a sensor 4 x capacity bytes whatever the model's width. A digest match is taken as the same reading
 * (two different readings share a digest once in 2^32 per reading remembered).
 */

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
 * Digest of a reading: its timestamp and, in `channels` order, each channel's value, a channel without a finite
 * value marked as absent (a copy lacks exactly what the original lacked). Keys outside `channels` are ignored:
 * they never reach the model.
 */
export function readingDigest(ts: number, values: Record<string, unknown>, channels: readonly string[]): number {
  f64[0] = ts;
  let h = mix(mix(0x9747b28c, u32[0]), u32[1]);
  for (const name of channels) {
    const v = values[name];
    if (typeof v === 'number' && Number.isFinite(v)) {
      f64[0] = v;
      h = mix(mix(h, u32[0]), u32[1]);
    } else h = mix(h, 0x7ff80001);
  }
  // murmur3's finaliser: every input bit reaches every output bit.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The digests of a sensor's last `capacity` accepted readings. */
export class RecentReadings {
  private readonly digests: Uint32Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`RecentReadings: capacity must be an integer >= 1, got ${capacity}`);
    this.digests = new Uint32Array(capacity);
  }

  /** Remember an accepted reading (the oldest remembered one is forgotten when full). */
  add(digest: number): void {
    this.digests[this.head] = digest;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Whether the last reading accepted has this digest. */
  isLast(digest: number): boolean {
    return this.count > 0 && this.digests[(this.head + this.capacity - 1) % this.capacity] === digest;
  }

  /** Whether any remembered reading has this digest (newest first: redeliveries are usually recent). */
  has(digest: number): boolean {
    for (let i = 1; i <= this.count; i++) if (this.digests[(this.head + this.capacity - i) % this.capacity] === digest) return true;
    return false;
  }
}
