/**
 * PendingQueue against a naive reference (arrays, linear scans) on seeded random workloads: the same windows
 * taken in the same order, the same windows shed, the same byte count, whatever the mix of pushes and takes.
 */
import { describe, expect, it } from 'vitest';
import { PendingQueue } from '../../runtime/stream/pending-queue.ts';
import { mulberry32 } from '@vigil/fixtures/tiny-model.ts';

interface Item {
  sensor: string;
  id: number;
  bytes: number;
}

/** The policy written as plainly as possible. */
class Reference {
  lanes: { sensor: string; items: Item[] }[] = [];
  bytes = 0;
  constructor(
    readonly maxBytes: number,
    readonly shed: (i: Item) => void,
  ) {}
  get size() {
    return this.lanes.reduce((a, l) => a + l.items.length, 0);
  }
  push(item: Item) {
    while (this.size > 0 && this.bytes + item.bytes > this.maxBytes) {
      // Longest lane; among equals, the one that reached that length first (the real queue's bucket order).
      let best = this.lanes[0];
      for (const l of this.lanes) if (l.items.length > best.items.length || (l.items.length === best.items.length && this.reached.get(l)! < this.reached.get(best)!)) best = l;
      const gone = best.items.shift()!;
      this.bytes -= gone.bytes;
      this.touch(best);
      if (best.items.length === 0) this.lanes = this.lanes.filter((l) => l !== best);
      this.shed(gone);
    }
    let lane = this.lanes.find((l) => l.sensor === item.sensor);
    if (!lane) this.lanes.push((lane = { sensor: item.sensor, items: [] }));
    lane.items.push(item);
    this.bytes += item.bytes;
    this.touch(lane);
  }
  /** `cap`: the most each sensor may give this take; a lane at its cap keeps its place for the next one. */
  take(max: number, cap?: (sensor: string) => number): Item[] {
    const out: Item[] = [];
    const left = new Map<string, number>();
    const room = (l: { sensor: string }) => (cap ? (left.has(l.sensor) ? left.get(l.sensor)! : cap(l.sensor)) : Infinity);
    while (out.length < max && this.size > 0) {
      const share = Math.max(1, Math.floor((max - out.length) / this.lanes.length));
      const taken = out.length;
      for (const lane of this.lanes.filter((l) => room(l) > 0).slice(0, max - out.length)) {
        if (out.length >= max) break;
        const got = lane.items.splice(0, Math.min(share, max - out.length, room(lane)));
        left.set(lane.sensor, room(lane) - got.length);
        for (const g of got) this.bytes -= g.bytes;
        out.push(...got);
        this.touch(lane);
        this.lanes = this.lanes.filter((l) => l !== lane);
        if (lane.items.length > 0) this.lanes.push(lane);
      }
      if (out.length === taken) break;
    }
    return out;
  }
  /** When each lane last changed length (ties between equally long lanes go to the earliest). */
  private clock = 0;
  private reached = new Map<object, number>();
  private touch(l: object) {
    this.reached.set(l, this.clock++);
  }
}

describe('PendingQueue', () => {
  it('matches the reference policy on seeded random pushes and takes, byte for byte', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const rand = mulberry32(seed);
      const maxBytes = 200 + Math.floor(rand() * 2000);
      const shedQ: number[] = [];
      const shedR: number[] = [];
      const q = new PendingQueue<Item>(maxBytes, (i) => i.bytes, (i) => shedQ.push(i.id));
      const ref = new Reference(maxBytes, (i) => shedR.push(i.id));
      const sensors = 1 + Math.floor(rand() * 6);
      let id = 0;
      for (let step = 0; step < 3000; step++) {
        if (rand() < 0.8) {
          // One sensor floods: most pushes go to s0.
          const sensor = rand() < 0.6 ? 's0' : `s${Math.floor(rand() * sensors)}`;
          const item = { sensor, id: id++, bytes: 10 + Math.floor(rand() * 40) };
          q.push(item);
          ref.push(item);
        } else {
          // Takes a little slower than pushes on average, so the bound is reached and shedding is exercised.
          const max = 1 + Math.floor(rand() * 6);
          expect(q.take(max).map((i) => i.id)).toEqual(ref.take(max).map((i) => i.id));
        }
        if (step % 400 === 399) {
          // Drained now and then: the queue drops its index of lanes by length far under the bound and builds it
          // again on the way back up; shedding must pick the same windows as the reference either way.
          const max = Math.max(1, q.size - 1);
          expect(q.take(max).map((i) => i.id)).toEqual(ref.take(max).map((i) => i.id));
        }
        expect([q.size, q.bytes]).toEqual([ref.size, ref.bytes]);
        expect(q.bytes).toBeLessThanOrEqual(Math.max(maxBytes, 50));
      }
      expect(shedQ).toEqual(shedR);
      expect(shedQ.length).toBeGreaterThan(50);
      expect(q.take(1e9).map((i) => i.id)).toEqual(ref.take(1e9).map((i) => i.id));
      expect([q.size, q.bytes]).toEqual([0, 0]);
    }
  });

  it('matches the reference policy with per-sensor caps: capped lanes passed over keep their place', () => {
    for (const seed of [11, 12, 13, 14]) {
      const rand = mulberry32(seed);
      const q = new PendingQueue<Item>(1e9, (i) => i.bytes);
      const ref = new Reference(1e9, () => {});
      let id = 0;
      for (let step = 0; step < 3000; step++) {
        if (rand() < 0.7) {
          const item = { sensor: `s${Math.floor(rand() * 9)}`, id: id++, bytes: 1 };
          q.push(item);
          ref.push(item);
        } else {
          // Caps of 0..3 windows per sensor, fixed for this take.
          const caps = Array.from({ length: 9 }, () => Math.floor(rand() * 4));
          const cap = (s: string) => caps[Number(s.slice(1))];
          const max = 1 + Math.floor(rand() * 12);
          expect(q.take(max, cap).map((i) => i.id)).toEqual(ref.take(max, cap).map((i) => i.id));
        }
        expect(q.size).toBe(ref.size);
      }
      expect(q.take(1e9).map((i) => i.id)).toEqual(ref.take(1e9).map((i) => i.id));
    }
  });

  it('serves lanes in the reference order after thousands of lanes were emptied by shedding alone', () => {
    // A bound of 5 windows and 6,000 sensors with one window each, no take in between: each push sheds the lane
    // of the oldest window, so thousands of lanes are emptied while nothing is taken.
    const shedQ: number[] = [];
    const shedR: number[] = [];
    const q = new PendingQueue<Item>(5, (i) => i.bytes, (i) => shedQ.push(i.id));
    const ref = new Reference(5, (i) => shedR.push(i.id));
    for (let k = 0; k < 6000; k++) {
      const item = { sensor: `s${k % 3000}`, id: k, bytes: 1 };
      q.push(item);
      ref.push(item);
    }
    expect(shedQ).toEqual(shedR);
    expect(shedQ.length).toBe(5995);
    expect(q.take(3).map((i) => i.id)).toEqual(ref.take(3).map((i) => i.id));
    for (let k = 0; k < 4; k++) {
      const item = { sensor: `s${k}`, id: 10_000 + k, bytes: 1 };
      q.push(item);
      ref.push(item);
    }
    expect(q.take(1e9).map((i) => i.id)).toEqual(ref.take(1e9).map((i) => i.id));
    expect([q.size, q.bytes]).toEqual([0, 0]);
  });

  it('matches the reference when emptied lanes are kept for their sensors and when more than the kept bound pile up', () => {
    // Lanes emptied by a take are kept for their sensor's next windows (no lane made afresh per window of a backlog);
    // 20,000 sensors pass the bound of kept lanes (16,384), so they are dropped once on the way. Small bounds make
    // some lanes empty by shedding too, whose sensors come back to a lane of their own.
    for (const seed of [21, 22]) {
      const rand = mulberry32(seed);
      const shedQ: number[] = [];
      const shedR: number[] = [];
      const q = new PendingQueue<Item>(40, (i) => i.bytes, (i) => shedQ.push(i.id));
      const ref = new Reference(40, (i) => shedR.push(i.id));
      let id = 0;
      for (let k = 0; k < 20_000; k++) {
        // A few sensors at a time: a new one, a recent one (likely still waiting), one seen long ago (a kept lane);
        // then a take that may empty them.
        for (let j = 0; j < 3; j++) {
          const u = rand();
          const sensor = u < 0.4 ? `s${k}` : u < 0.8 ? `s${Math.max(0, k - Math.floor(rand() * 6))}` : `s${Math.floor(rand() * (k + 1))}`;
          const item = { sensor, id: id++, bytes: 1 + Math.floor(rand() * 8) };
          q.push(item);
          ref.push(item);
        }
        const max = 1 + Math.floor(rand() * 4);
        expect(q.take(max).map((i) => i.id)).toEqual(ref.take(max).map((i) => i.id));
        expect([q.size, q.bytes]).toEqual([ref.size, ref.bytes]);
      }
      expect(shedQ).toEqual(shedR);
      expect(shedQ.length).toBeGreaterThan(100);
      expect(q.take(1e9).map((i) => i.id)).toEqual(ref.take(1e9).map((i) => i.id));
    }
  });

  it('among equally long lanes sheds from the one that got there first, also when its index was built late', () => {
    // 10 bytes a window, bound 100: the index of lanes by length is built once more than 50 bytes wait.
    const shedQ: string[] = [];
    const shedR: string[] = [];
    const q = new PendingQueue<Item>(100, (i) => i.bytes, (i) => shedQ.push(`${i.sensor}${i.id}`));
    const ref = new Reference(100, (i) => shedR.push(`${i.sensor}${i.id}`));
    let id = 0;
    // a, b, c reach length 2 in the order b, a, c; the 6th window (60 bytes) builds the index.
    for (const sensor of ['a', 'b', 'c', 'b', 'a', 'c', 'e', 'f', 'g', 'h', 'i', 'j']) {
      const item = { sensor, id: id++, bytes: 10 };
      q.push(item);
      ref.push(item);
    }
    expect(shedR).toEqual(['b1', 'a0']);
    expect(shedQ).toEqual(shedR);
  });

  it('keeps each sensor in arrival order and never sheds while under the bound', () => {
    const shed: Item[] = [];
    const q = new PendingQueue<Item>(1e6, (i) => i.bytes, (i) => shed.push(i));
    for (let k = 0; k < 10_000; k++) q.push({ sensor: `s${k % 3}`, id: k, bytes: 1 });
    const out = q.take(1e9);
    expect(shed).toEqual([]);
    for (const s of ['s0', 's1', 's2']) {
      const ids = out.filter((i) => i.sensor === s).map((i) => i.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    expect(out.length).toBe(10_000);
  });

  it('rejects a bound that is not a positive finite number', () => {
    expect(() => new PendingQueue<Item>(0, () => 1)).toThrow(/maxPendingBytes must be a finite number > 0/);
    expect(() => new PendingQueue<Item>(Number.POSITIVE_INFINITY, () => 1)).toThrow(/maxPendingBytes/);
  });

  it('take with a cap gives each sensor at most its cap, passes over capped lanes to fill from the others, and stops when all are capped', () => {
    const q = new PendingQueue<Item>(1e9, (i) => i.bytes);
    let id = 0;
    for (let k = 0; k < 10; k++) for (const sensor of ['a', 'b', 'c']) q.push({ sensor, id: id++, bytes: 1 });
    const caps: Record<string, number> = { a: 2, b: 0, c: 5 };
    const first = q.take(100, (s) => caps[s]);
    const count = (xs: Item[], s: string) => xs.filter((x) => x.sensor === s).length;
    expect([count(first, 'a'), count(first, 'b'), count(first, 'c')]).toEqual([2, 0, 5]);
    // Each sensor's windows still leave in arrival order, and nothing capped was lost.
    expect(first.filter((x) => x.sensor === 'a').map((x) => x.id)).toEqual([0, 3]);
    expect(q.size).toBe(30 - 7);
    // Without a cap the rest comes out in one take; a cap of 1 each takes one window per sensor.
    expect(q.take(3, () => 1).map((x) => x.sensor).sort()).toEqual(['a', 'b', 'c']);
    expect(q.take(100)).toHaveLength(20);
  });
});
