/**
 * The sensors the window stage holds buffers for, in admission pools (runtime/stream/admission.ts) of bounded size.
 * Each pool is a map in least-recently-seen order (runtime/util/lru.ts: every reading touches its sensor), so idle eviction stops at
 * the first sensor heard from recently and a full pool makes room by dropping its least recently seen sensor: a
 * flood of new topics cannot lock out a real sensor.
 */
import type { PipelineCounters } from './counters.ts';
import type { SensorState } from './sensor-state.ts';
import { LruMap } from '../util/lru.ts';

/** Sensors by admission pool, with idle and capacity eviction. */
export class SensorPools {
  private readonly pools: LruMap<string, SensorState>[];
  private active = 0;
  /**
   * No sensor can be idle before this arrival time: the least recently seen one's last arrival plus the idle time, as
   * of the last sweep (a sensor seen since only moves it later; a new sensor forces the next sweep). Most readings
   * then cost one comparison instead of an iterator over every pool.
   */
  private nextIdleAt = Number.NEGATIVE_INFINITY;

  /**
   * @param caps sensors each pool may hold (the last pool is the default one; 0 admits none)
   * @param create a fresh state for a sensor admitted
   * @param onEvict told of every sensor evicted to make room for `admitted`
   */
  constructor(
    private readonly caps: readonly number[],
    private readonly counters: PipelineCounters,
    private readonly create: () => SensorState,
    private readonly onEvict: (evicted: string, admitted: string) => void,
  ) {
    this.pools = caps.map(() => new LruMap<string, SensorState>());
  }

  /** The state of `sensor` in any pool, without touching its place. */
  peek(sensor: string): SensorState | undefined {
    for (const pool of this.pools) {
      const s = pool.get(sensor);
      if (s) return s;
    }
    return undefined;
  }

  /** `f` of every sensor held, in pool order (least recently seen first within a pool). */
  map<T>(f: (sensor: string, s: SensorState) => T): T[] {
    const out: T[] = [];
    for (const pool of this.pools) for (const [id, s] of pool) out.push(f(id, s));
    return out;
  }

  /** Evict every sensor not heard from within `idleMs` of `now` (arrival time). */
  evictIdle(now: number, idleMs: number): void {
    if (now <= this.nextIdleAt) return;
    let next = Number.POSITIVE_INFINITY;
    for (const sensors of this.pools) {
      for (const [id, s] of sensors) {
        if (now - s.lastSeen <= idleMs) {
          next = Math.min(next, s.lastSeen + idleMs);
          break;
        }
        sensors.delete(id);
        s.recent.release();
        this.active--;
        this.counters.evictedIdle++;
      }
    }
    this.nextIdleAt = next;
    this.counters.activeSensors = this.active;
  }

  /**
   * The state of `sensor`, made most recently seen, in `pool` (the default pool when absent or unknown); a new
   * sensor is admitted, evicting the pool's least recently seen one when full. Undefined when its pool admits none.
   */
  take(sensor: string, pool: number | undefined): SensorState | undefined {
    const p = pool !== undefined && pool < this.pools.length ? pool : this.pools.length - 1;
    const sensors = this.pools[p];
    let s = sensors.touch(sensor);
    if (!s) {
      if (this.caps[p] === 0) return undefined;
      if (sensors.size >= this.caps[p]) this.evictOldest(sensors, sensor);
      s = this.warmElsewhere(sensor, p) ?? this.create();
      this.active++;
      // Its last arrival is set by the caller after this: sweep again at the next reading.
      this.nextIdleAt = Number.NEGATIVE_INFINITY;
      sensors.set(sensor, s);
    }
    this.counters.activeSensors = this.active;
    return s;
  }

  /**
   * A restart's tail of `sensor` seeded into another pool than `p` (tails carry no pool; the admission rules may
   * have changed): taken out of it, to move to pool `p`.
   */
  private warmElsewhere(sensor: string, p: number): SensorState | undefined {
    for (let q = 0; q < this.pools.length; q++) {
      const s = q === p ? undefined : this.pools[q].get(sensor);
      if (!s?.warmOnly) continue;
      this.pools[q].delete(sensor);
      this.active--;
      return s;
    }
    return undefined;
  }

  /** Forget `sensor` (its next reading starts it afresh); not counted as an eviction. */
  forget(sensor: string): void {
    for (const pool of this.pools) {
      const s = pool.get(sensor);
      if (!s) continue;
      s.recent.release();
      pool.delete(sensor);
      this.active--;
      this.counters.activeSensors = this.active;
    }
  }

  private evictOldest(sensors: Map<string, SensorState>, admitted: string): void {
    const oldest = sensors.keys().next().value as string;
    sensors.get(oldest)!.recent.release();
    sensors.delete(oldest);
    this.active--;
    this.counters.evictedFull++;
    this.onEvict(oldest, admitted);
  }
}
