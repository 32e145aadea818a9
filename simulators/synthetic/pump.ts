/**
 * The healthy behaviour of one centrifugal pump and its motor, stepped one reading at a time.
 * Physics kept simple but coherent, so a multichannel model has real structure to learn:
 * demand follows a daily cycle plus a slow random walk; the controller switches between normal operating
 * modes (idle / normal / high); speed lags its setpoint; flow ~ speed, pressure ~ speed² (affinity laws);
 * motor current follows flow and head; temperature lags the electrical load (first-order, minutes);
 * vibration grows with speed²; supply voltage sags slightly under current.
 */
import type { Rng } from '@vigil/runtime/util/prng.ts';

/** Physical channels in the order they are emitted; `channels = C` keeps the first C (more become aux mixes). */
export const PUMP_CHANNELS = ['flow', 'motor_current', 'temperature', 'pressure', 'vibration_rms', 'voltage', 'speed', 'power'] as const;

/** Typical full-scale span of each channel; anomaly magnitudes are fractions of it. */
export const CHANNEL_SPAN: Record<string, number> = {
  flow: 120, motor_current: 40, temperature: 30, pressure: 6, vibration_rms: 4, voltage: 20, speed: 1480, power: 25,
};

/** Names of C channels: the physical ones first, then `aux_<k>`. */
export function channelNames(c: number): string[] {
  const out: string[] = PUMP_CHANNELS.slice(0, Math.min(c, PUMP_CHANNELS.length));
  for (let k = out.length; k < c; k++) out.push(`aux_${k - PUMP_CHANNELS.length + 1}`);
  return out;
}

/** Span of a channel by name (aux channels: 10). */
export function spanOf(name: string): number {
  return CHANNEL_SPAN[name] ?? 10;
}

/** Options of the healthy process. */
export interface PumpOptions {
  /** Seconds between readings. */
  dtS: number;
  /** Period of the demand cycle in seconds (86400 = daily; smaller compresses days for short data sets). */
  dayPeriodS: number;
  /** Mean dwell time in one operating mode, seconds. */
  modeDwellS: number;
  /** How the operating point moves (default 'field'). */
  profile?: PumpProfile;
}

/**
 * How a pump's operating point moves. 'field', as in service: demand wanders at random over ~15 minutes, the
 * supply voltage with the grid over minutes, the controller changes mode; it starts cold (its temperature at the
 * first reading's load). 'steady', a test bench: one mode, demand noise that reverts within a minute, a steady
 * supply; only the demand cycle (`dayPeriodS`) moves it slowly, so a few hundred rows cover its normal range (a
 * model trained on them and scored on another day of the same machine sees nothing it has not seen, unless a fault
 * is injected); it starts warm (its temperature at the cycle's mean), so no start-up transient outlasts the first rows.
 */
export type PumpProfile = 'field' | 'steady';

/** Each profile: demand's time constant (s), the grid's share of the voltage (V), mode changes, a warm start. */
const PROFILE: Record<PumpProfile, { demandTauS: number; gridV: number; modeChanges: boolean; warm: boolean }> = {
  field: { demandTauS: 900, gridV: 2, modeChanges: true, warm: false },
  steady: { demandTauS: 60, gridV: 0, modeChanges: false, warm: true },
};

const MODE_LEVEL = [0.35, 0.75, 0.95];
const MODE_NEXT = [[1, 1, 2], [0, 2, 2, 0], [1, 1, 0]];

/**
 * One healthy pump; `step()` fills the physical channels of the next reading. Its constants (size, motor, ambient,
 * day phase, first mode) come from `machine`, its noise and mode changes from `rng`: by default the same stream, and
 * one machine stream with several noise streams gives one machine on different days.
 */
export class Pump {
  private demand = 0;
  private grid = 0;
  private mode = 1;
  private speed: number;
  private temp: number;
  private readonly qmax: number;
  private readonly pmax: number;
  private readonly i0: number;
  private readonly ki: number;
  private readonly tAmb: number;
  private readonly kT: number;
  private readonly v0: number;
  private readonly kv: number;
  private readonly phase: number;
  private readonly auxMix: number[][];
  private readonly aDemand: number;
  private readonly aSpeed: number;
  private readonly aTemp: number;
  private readonly pSwitch: number;
  private readonly gridV: number;
  /** Elapsed seconds since the start (drives the daily cycle). */
  private elapsedS = 0;

  constructor(private readonly rng: Rng, private readonly opts: PumpOptions, readonly channels: number, machine: Rng = rng) {
    // Per-pump constants: same model, different machines.
    this.qmax = machine.between(95, 125);
    this.pmax = machine.between(4.5, 6);
    this.i0 = machine.between(6, 9);
    this.ki = machine.between(24, 30);
    this.tAmb = machine.between(22, 30);
    this.kT = machine.between(18, 24);
    this.v0 = machine.between(0.6, 0.9);
    this.kv = machine.between(2, 2.8);
    this.phase = machine.uniform() * opts.dayPeriodS;
    this.auxMix = Array.from({ length: Math.max(0, channels - PUMP_CHANNELS.length) }, () => [machine.normal(), machine.normal(), machine.normal()]);
    const profile = PROFILE[opts.profile ?? 'field'];
    this.aDemand = Math.exp(-opts.dtS / profile.demandTauS);
    this.aSpeed = 1 - Math.exp(-opts.dtS / 20);
    this.aTemp = 1 - Math.exp(-opts.dtS / 600);
    this.pSwitch = profile.modeChanges ? 1 - Math.exp(-opts.dtS / opts.modeDwellS) : 0;
    this.gridV = profile.gridV;
    this.mode = machine.pick([0, 1, 1, 2]);
    this.speed = this.setpoint();
    this.temp = profile.warm ? this.warmTemperature() : this.tempAt(this.speed);
  }

  private daily(atS = this.elapsedS): number {
    return 0.5 - 0.5 * Math.cos((2 * Math.PI * (atS + this.phase)) / this.opts.dayPeriodS);
  }

  private setpoint(atS = this.elapsedS): number {
    const s = MODE_LEVEL[this.mode] * (0.85 + 0.15 * this.daily(atS)) + 0.03 * this.demand;
    return Math.min(1, Math.max(0.2, s));
  }

  /** The temperature the load at `speed` heads for, at time `atS`. */
  private tempAt(speed: number, atS = this.elapsedS): number {
    return this.tempTarget(this.current(this.flowFraction(speed), speed), atS);
  }

  /** Where the temperature of a pump that has run for a while sits: its target averaged over one demand cycle. */
  private warmTemperature(): number {
    const steps = 64;
    let sum = 0;
    for (let k = 0; k < steps; k++) {
      const atS = (k / steps) * this.opts.dayPeriodS;
      sum += this.tempAt(this.setpoint(atS), atS);
    }
    return sum / steps;
  }

  private flowFraction(speed: number): number {
    return speed;
  }

  private current(flowFrac: number, speed: number): number {
    return this.i0 + this.ki * flowFrac * (0.5 + 0.5 * speed * speed);
  }

  private tempTarget(current: number, atS = this.elapsedS): number {
    const load = current / (this.i0 + this.ki);
    return this.tAmb + 3 * this.daily(atS) + this.kT * load * load;
  }

  /** Advance one reading and write the healthy values of all channels into `out` (length = channels). */
  step(out: Float32Array): void {
    const r = this.rng;
    this.elapsedS += this.opts.dtS;
    this.demand = this.aDemand * this.demand + Math.sqrt(1 - this.aDemand * this.aDemand) * r.normal();
    this.grid = 0.995 * this.grid + 0.1 * r.normal();
    if (r.uniform() < this.pSwitch) this.mode = r.pick(MODE_NEXT[this.mode]);
    this.speed += (this.setpoint() - this.speed) * this.aSpeed;
    const s = this.speed;
    const flowFrac = this.flowFraction(s);
    const current = this.current(flowFrac, s);
    this.temp += (this.tempTarget(current) - this.temp) * this.aTemp;
    const voltage = 400 + this.gridV * this.grid - 0.05 * current;
    const values = [
      this.qmax * flowFrac * (1 + 0.01 * r.normal()),
      current * (1 + 0.01 * r.normal()),
      this.temp + 0.05 * r.normal(),
      this.pmax * s * s + 0.03 * r.normal(),
      (this.v0 + this.kv * s * s) * (1 + 0.05 * r.normal()),
      voltage + 0.4 * r.normal(),
      1480 * s + 3 * r.normal(),
      (Math.sqrt(3) * voltage * current * 0.85) / 1000 + 0.05 * r.normal(),
    ];
    const c = this.channels;
    for (let j = 0; j < Math.min(c, values.length); j++) out[j] = values[j];
    for (let k = 0; k < this.auxMix.length; k++) {
      const m = this.auxMix[k];
      out[PUMP_CHANNELS.length + k] = 5 + 2 * m[0] * s + m[1] * (this.temp - this.tAmb) / 10 + 0.5 * m[2] * this.demand + 0.1 * r.normal();
    }
  }

  /** The reading `motor_current` would show for a given flow fraction (used to break the current-flow link). */
  currentFor(flowFrac: number): number {
    return this.current(flowFrac, this.speed);
  }

  /** Flow of the last step as a fraction of this pump's maximum. */
  get flowFractionNow(): number {
    return this.flowFraction(this.speed);
  }
}
