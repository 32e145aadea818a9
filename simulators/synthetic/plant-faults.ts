/**
 * Faults of the plant set: what each one changes in the skid's physics or in its transmitters, how long it lasts
 * and how strong it can be. A fault has a severity in [0, 1] that maps linearly onto a physical magnitude range,
 * from subtle (inside normal operating variation of the channel) to clear. Each kind is described by what it
 * does, not by how a detector should see it.
 */
import type { Rng } from '@vigil/runtime/util/prng.ts';
import { SKID_COL, type SkidChannel, type SkidEffects } from './plant-skid.ts';

/** Every fault kind of the plant set. */
export const PLANT_FAULTS = [
  'bearing_wear', 'sensor_bias', 'stuck_sensor', 'leak', 'cavitation', 'valve_stiction', 'overheating',
] as const;
/** One plant fault kind. */
export type PlantFault = (typeof PLANT_FAULTS)[number];

/** A drawn fault: kind, severity, the channel it sits on (sensor faults) and rows relative to its start. */
export interface PlantFaultInstance {
  type: PlantFault;
  /** 0 = weakest of the kind's range, 1 = strongest. */
  severity: number;
  /** Signed magnitude in the kind's own units (table in simulators/README.md): factor, fraction, bar, K or m³/h. */
  magnitude: number;
  /** The transmitter a sensor fault sits on; for process faults, undefined. */
  sensor?: SkidChannel;
  /** Rows the cause is present. */
  causeRows: number;
  /** Rows labelled: the cause plus the time the plant needs to return (thermal faults), so the label covers the deviation. */
  labelRows: number;
  /** Channels the fault changes first-hand (consequences through the control loop are not listed). */
  channels: SkidChannel[];
}

/** Range of cause duration in rows per kind (minutes, as real faults that are caught early). */
const DURATION: Record<PlantFault, [number, number]> = {
  bearing_wear: [180, 600],
  sensor_bias: [60, 400],
  stuck_sensor: [90, 400],
  leak: [90, 400],
  cavitation: [60, 300],
  valve_stiction: [120, 500],
  overheating: [150, 450],
};

/** Transmitters a bias can sit on, with its magnitude range (weakest, strongest) in channel units. */
const BIAS: Partial<Record<SkidChannel, [number, number]>> = {
  discharge_pressure: [0.04, 0.25],
  suction_pressure: [0.03, 0.15],
  motor_temp: [1, 5],
  flow: [1.5, 6],
};
/** Transmitters that can freeze (not the flow meter: a frozen controlled variable winds the loop up at once). */
const STUCK: SkidChannel[] = ['discharge_pressure', 'motor_current', 'motor_temp', 'bearing_temp', 'vib_motor'];

/**
 * Rows the plant needs to return to normal once the cause is gone, labelled with the fault: about three motor
 * time constants after overheating; ~15 s for the flow loop to settle after hydraulic faults and a flow-meter
 * bias; none after a transmitter outside the loop recovers or a worn bearing is replaced.
 */
function recoveryRows(type: PlantFault, sensor?: SkidChannel): number {
  if (type === 'overheating') return 360;
  if (type === 'leak' || type === 'cavitation' || type === 'valve_stiction') return 15;
  return type === 'sensor_bias' && sensor === 'flow' ? 15 : 0;
}

/** Draw one fault of kind `type`; durations are capped at `maxRows` (never below the kind's minimum). */
export function drawFault(r: Rng, type: PlantFault, maxRows = Infinity): PlantFaultInstance {
  const [lo, hi] = DURATION[type];
  const drawn = r.int(lo, hi);
  const severity = r.uniform();
  const sign = r.uniform() < 0.5 ? -1 : 1;
  const sensor = type === 'sensor_bias' ? r.pick(Object.keys(BIAS) as SkidChannel[]) : type === 'stuck_sensor' ? r.pick(STUCK) : undefined;
  const extra = recoveryRows(type, sensor);
  const causeRows = Math.max(lo, Math.min(drawn, Math.floor(maxRows) - extra));
  const within = (a: number, b: number) => a + severity * (b - a);
  const base = { type, severity, causeRows, labelRows: causeRows + extra };
  switch (type) {
    case 'bearing_wear':
      return { ...base, magnitude: within(0.25, 1.5), channels: ['vib_pump'] };
    case 'sensor_bias': {
      const [a, b] = BIAS[sensor!]!;
      return { ...base, sensor, magnitude: sign * within(a, b), channels: [sensor!] };
    }
    case 'stuck_sensor':
      return { ...base, sensor, magnitude: 0, channels: [sensor!] };
    case 'leak':
      return { ...base, magnitude: within(0.03, 0.15), channels: ['discharge_pressure', 'motor_power', 'motor_current', 'valve_position'] };
    case 'cavitation':
      return { ...base, magnitude: within(0.03, 0.12), channels: ['suction_pressure', 'discharge_pressure', 'flow', 'vib_pump'] };
    case 'valve_stiction':
      return { ...base, magnitude: within(0.01, 0.05), channels: ['valve_position', 'flow'] };
    case 'overheating':
      return { ...base, magnitude: within(0.15, 0.6), channels: ['motor_temp'] };
  }
}

/**
 * Apply fault `f`, `k` rows after its start (0 <= k < causeRows), onto `e`, which already carries the slow normal
 * drift. After the cause the plant recovers on its own; the label's extra rows cover that.
 */
export function applyFault(f: PlantFaultInstance, k: number, e: SkidEffects): void {
  const p = k / Math.max(1, f.causeRows - 1);
  // Most causes build up over the first part of the fault rather than switching on in one reading.
  const onset = (rows: number) => Math.min(1, (k + 1) / rows);
  const m = f.magnitude;
  switch (f.type) {
    case 'bearing_wear': {
      // Early spalling raises broadband vibration over minutes, long before the bearing runs measurably hotter.
      e.vibPump *= 1 + m * onset(Math.max(60, f.causeRows / 3));
      break;
    }
    case 'sensor_bias':
      e.bias[SKID_COL[f.sensor!]] += m;
      break;
    case 'stuck_sensor':
      e.stuck[SKID_COL[f.sensor!]] = true;
      break;
    case 'leak':
      // A seal or flange lets go within half a minute; the controller then restores the metered flow.
      e.leak += m * onset(30);
      break;
    case 'cavitation': {
      // A clogging strainer lowers suction pressure; vapour reduces head, roughens flow, adds broadband vibration.
      const g = onset(Math.max(20, f.causeRows / 4));
      e.suctionDrop += m * g;
      e.headLoss = 1 - (1 - e.headLoss) * (1 - m * g);
      e.flowNoise *= 1 + 25 * m * g;
      e.vibPump *= 1 + 4 * m * g;
      break;
    }
    case 'valve_stiction':
      // Packing friction: the stem moves only after the command has travelled through the stick band.
      e.stiction = Math.max(e.stiction, m);
      break;
    case 'overheating':
      // Fins clogging or a fan failing: thermal resistance climbs over the whole cause, temperature follows with lag.
      e.coolingLoss += m * p;
      break;
  }
}
