/**
 * Names in NATS for one fleet group: the subject of a sensor's readings (the partition is a subject token, so a
 * consumer per partition filters on `{prefix}.readings.{k}.>`), result subjects, and the KV buckets. Sensor ids
 * are escaped into one subject token (`.`, `*`, `>`, spaces and anything outside A-Z a-z 0-9 _ - become %XX),
 * so any MQTT sensor id round-trips.
 */

/** A sensor id as one subject token. */
export function sensorToken(sensor: string): string {
  if (!sensor) throw new Error('empty sensor id');
  return Array.from(new TextEncoder().encode(sensor), (b) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** The sensor id a token stands for, or undefined when it is not one `sensorToken` makes. */
export function sensorOfToken(token: string): string | undefined {
  if (!/^(?:[A-Za-z0-9_-]|%[0-9A-F]{2})+$/.test(token)) return undefined;
  try {
    return decodeURIComponent(token);
  } catch {
    return undefined;
  }
}

/** Subjects and bucket names of one group. */
export interface FleetSubjects {
  readings(partition: number, sensor: string): string;
  /** Filter of one partition's readings. */
  partition(partition: number): string;
  /** Filter of every reading (the readings stream's subjects). */
  allReadings: string;
  verdict(partition: number, sensor: string): string;
  alert(partition: number, sensor: string): string;
  dead(partition: number): string;
  /** The results stream's subjects. */
  allResults: string[];
  /** Partition and sensor of a readings subject, or undefined. */
  parse(subject: string): { partition: number; sensor: string } | undefined;
  leaseBucket: string;
  stateBucket: string;
  /**
   * Durable consumer name of a partition under one owner's take-over `tag`: every take-over makes a consumer of its
   * own, so pull requests of a stale owner (its lease lapsed while a batch was in hand) can never take readings
   * from the new owner's consumer, whose AckAll would then acknowledge them unjudged.
   */
  durable(partition: number, tag: string): string;
  /** The partition whose consumer `name` is (any tag), or undefined. */
  consumerPartition(name: string): number | undefined;
}

/** The names for `prefix` and `group`. */
export function fleetSubjects(prefix: string, group: string): FleetSubjects {
  const g = group.replace(/[^A-Za-z0-9_-]/g, '_');
  return {
    readings: (k, s) => `${prefix}.readings.${k}.${sensorToken(s)}`,
    partition: (k) => `${prefix}.readings.${k}.*`,
    allReadings: `${prefix}.readings.>`,
    verdict: (k, s) => `${prefix}.verdicts.${k}.${sensorToken(s)}`,
    alert: (k, s) => `${prefix}.alerts.${k}.${sensorToken(s)}`,
    dead: (k) => `${prefix}.dead.${k}`,
    allResults: [`${prefix}.verdicts.>`, `${prefix}.alerts.>`, `${prefix}.dead.>`],
    parse(subject) {
      const t = subject.split('.');
      if (t.length !== 4 || t[0] !== prefix || t[1] !== 'readings' || !/^\d{1,5}$/.test(t[2])) return undefined;
      const sensor = sensorOfToken(t[3]);
      return sensor === undefined ? undefined : { partition: Number(t[2]), sensor };
    },
    leaseBucket: `vigil-${g}-leases`,
    stateBucket: `vigil-${g}-state`,
    durable: (k, tag) => `vigil-${g}-p${k}-${tag}`,
    consumerPartition(name) {
      const m = new RegExp(`^vigil-${g}-p(\\d{1,5})-[A-Za-z0-9_]+$`).exec(name);
      return m ? Number(m[1]) : undefined;
    },
  };
}
