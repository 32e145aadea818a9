/**
 * One pump/motor skid of the plant set, stepped once per second: a VFD-driven centrifugal pump on a flow control
 * loop. Latent states: speed and flow set points (the operating point), ambient temperature, impeller wear, tank
 * level. Every measured channel follows from them through simple but coherent physics, so faults that break a
 * relation between channels exist physically rather than as edits of one column:
 * - hydraulics: pump curve H = Hn·(1.25·s² − 0.25·qp²) (affinity laws, best efficiency at qp = s) meets the system
 *   curve H = Hstatic + (kPipe + kValve / Cv(x)²)·q², with an equal-percentage valve Cv(x) = R^(x − 1); a leak
 *   upstream of the flow meter (orifice, ∝ √H) makes the pump deliver qp = q + leak while the meter reads q;
 * - a PI flow controller moves the valve (its output is the `valve_position` channel); the valve follows with a lag,
 *   or, with stiction, only once the command has moved past a stick band (then it slips: a limit cycle);
 * - electrics: shaft power from hydraulic power over a pump efficiency that falls away from best efficiency;
 *   V/f drive, so the active current for the same power rises at low speed; magnetising current in quadrature;
 * - heat: motor winding temperature follows its losses over a thermal resistance that worsens at low speed (shaft
 *   fan), first-order lag; bearing temperature follows speed (friction) and motor heat, slower still;
 * - vibration channels are RMS values of a broadband signal estimated from 8 samples (chi distribution, ~25 %
 *   relative noise): level grows with speed² and with distance from best efficiency (recirculation).
 * Time constants are shortened from a real motor (minutes, not tens of minutes) so a 500-row training stretch can
 * see each operating point settle most of the way; that is stated in simulators/README.md.
 */
import type { Rng } from '@vigil/runtime/util/prng.ts';

/** Channels of the skid, in emitted order. */
export const SKID_CHANNELS = [
  'speed', 'flow', 'suction_pressure', 'discharge_pressure', 'valve_position',
  'motor_current', 'motor_power', 'motor_temp', 'bearing_temp', 'vib_pump', 'vib_motor',
] as const;
/** One skid channel. */
export type SkidChannel = (typeof SKID_CHANNELS)[number];

/** Index of a channel in a reading. */
export const SKID_COL = Object.fromEntries(SKID_CHANNELS.map((c, i) => [c, i])) as Record<SkidChannel, number>;

/** What faults (and slow normal drift) change in the skid for one step; `NO_EFFECTS` is a healthy machine. */
export interface SkidEffects {
  /** Leak upstream of the flow meter, fraction of nominal flow at nominal head. */
  leak: number;
  /** Fractional loss of pump head (cavitation, impeller wear). */
  headLoss: number;
  /** Multiplier of turbulent flow noise (cavitation). */
  flowNoise: number;
  /** Drop of suction pressure, bar (clogging suction strainer). */
  suctionDrop: number;
  /** Multiplier of pump vibration level (bearing wear, cavitation). */
  vibPump: number;
  /** Fractional increase of the motor's thermal resistance (blocked fins, failed fan). */
  coolingLoss: number;
  /** Valve stick band, fraction of travel (0 = healthy valve). */
  stiction: number;
  /** Offset added to each measured channel (sensor bias, slow sensor drift), in channel units. */
  bias: Float64Array;
  /** Per channel: true while its transmitter is frozen at its last reading. */
  stuck: boolean[];
}

/** A fresh set of healthy effects. */
export function noEffects(): SkidEffects {
  return {
    leak: 0, headLoss: 0, flowNoise: 1, suctionDrop: 0, vibPump: 1, coolingLoss: 0, stiction: 0,
    bias: new Float64Array(SKID_CHANNELS.length), stuck: SKID_CHANNELS.map(() => false),
  };
}

/** An operating point: speed as a fraction of rated, flow set point in m³/h. */
export interface OperatingPoint {
  speed: number;
  flow: number;
}

const DT = 1;
const lag = (tau: number) => 1 - Math.exp(-DT / tau);

/** One skid: per-machine constants drawn once, state advanced by `step`. */
export class Skid {
  /** Rated flow, m³/h. */
  readonly qn: number;
  private readonly hn: number;
  private readonly hStatic: number;
  private readonly kPipe: number;
  private readonly kValve: number;
  private readonly rangeability = 30;
  private readonly etaBep: number;
  private readonly rth: number;
  private readonly i0: number;
  private readonly nRpm: number;
  private readonly vp0: number;
  private readonly vpk: number;
  private readonly vm0: number;
  private readonly vmk: number;
  private readonly ps0: number;
  private readonly tauMotor: number;
  private readonly tauBearing: number;
  // State.
  private s = 0.8;
  private q = 0.5;
  private u = 0.6;
  private x = 0.6;
  private ePrev = 0;
  private level = 0;
  private header = 0;
  private tMotor = 0;
  private tBearing = 0;
  /** Last measured reading (a frozen transmitter repeats it). */
  private readonly prev = new Float64Array(SKID_CHANNELS.length);

  constructor(private readonly rng: Rng) {
    this.qn = rng.between(80, 120);
    this.hn = rng.between(34, 44);
    this.hStatic = this.hn * rng.between(0.2, 0.3);
    this.kPipe = this.hn * rng.between(0.2, 0.3);
    this.kValve = this.hn * rng.between(0.15, 0.25);
    this.etaBep = rng.between(0.72, 0.8);
    this.rth = rng.between(22, 28);
    this.i0 = rng.between(7, 10);
    this.nRpm = rng.pick([1475, 1480, 1485]);
    this.vp0 = rng.between(0.6, 0.9);
    this.vpk = rng.between(1.4, 2.0);
    this.vm0 = rng.between(0.4, 0.6);
    this.vmk = rng.between(0.8, 1.2);
    this.ps0 = rng.between(0.3, 0.5);
    this.tauMotor = rng.between(100, 140);
    this.tauBearing = rng.between(180, 240);
  }

  /** Pump head in metres at speed fraction `s` and pump flow fraction `qp`. */
  private pumpHead(s: number, qp: number, headLoss: number): number {
    return this.hn * (1.25 * s * s - 0.25 * qp * qp) * (1 - headLoss);
  }

  /** Head the downstream system needs for meter flow fraction `q` at valve opening `x` (header pressure varies). */
  private systemHead(q: number, x: number): number {
    const cv = Math.pow(this.rangeability, Math.min(1, Math.max(0.02, x)) - 1);
    return this.hStatic * (1 + 0.04 * this.header) + (this.kPipe + this.kValve / (cv * cv)) * q * q;
  }

  private leakFlow(head: number, leak: number): number {
    return leak * Math.sqrt(Math.max(0, head) / this.hn);
  }

  /** Steady meter flow fraction where pump and system curves meet (bisection; the difference falls with flow). */
  steadyFlow(s: number, x: number, e: Pick<SkidEffects, 'leak' | 'headLoss'>): number {
    const f = (q: number) => {
      const h = this.systemHead(q, x);
      return this.pumpHead(s, q + this.leakFlow(h, e.leak), e.headLoss) - h;
    };
    if (f(0) <= 0) return 0;
    let lo = 0, hi = 2;
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (f(mid) > 0) lo = mid; else hi = mid;
    }
    return lo;
  }

  /** Valve opening that gives meter flow fraction `q` at speed `s` on a healthy skid (to choose feasible points). */
  openingFor(s: number, q: number): number {
    let lo = 0.02, hi = 1;
    const healthy = { leak: 0, headLoss: 0 };
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (this.steadyFlow(s, mid, healthy) < q) lo = mid; else hi = mid;
    }
    return (lo + hi) / 2;
  }

  /** Put the skid at rest at operating point `op` and ambient `ambient` (temperatures settled, controller converged). */
  settle(op: OperatingPoint, ambient: number): void {
    this.s = op.speed;
    this.x = this.u = this.openingFor(op.speed, op.flow / this.qn);
    this.q = op.flow / this.qn;
    this.ePrev = 0;
    this.level = this.header = 0;
    const fx = noEffects();
    const heat = this.heat(this.s, this.q, fx);
    this.tMotor = ambient + heat.motorRise;
    this.tBearing = ambient + this.bearingRise(heat.motorRise);
  }

  private heat(s: number, qp: number, e: SkidEffects) {
    const head = this.pumpHead(s, qp, e.headLoss);
    const eta = this.etaBep * Math.max(0.3, 1 - 0.5 * (qp / s - 1) ** 2);
    const pHyd = (9.81 * ((this.qn * qp) / 3600) * Math.max(0, head));
    const pShaft = pHyd / eta + 0.25 * s;
    const pElec = pShaft / 0.92 + 0.15;
    const losses = pElec - pShaft;
    const motorRise = (this.rth * (1 + e.coolingLoss) * losses) / (0.35 + 0.65 * s);
    return { head, pElec, motorRise };
  }

  private bearingRise(motorRise: number): number {
    return 9 * this.s + 0.25 * motorRise;
  }

  /** Advance one second towards operating point `op` and write the measured channels into `out`. */
  step(op: OperatingPoint, ambient: number, wear: number, e: SkidEffects, out: Float32Array): void {
    const r = this.rng;
    const C = SKID_COL;
    // Drive: speed ramps to its set point (VFD acceleration limit, ~4 s lag).
    this.s += (op.speed - this.s) * lag(4);
    const s = this.s;
    // Valve: healthy valves follow the command with a 2 s lag; a sticky one holds until the command leaves the band.
    if (e.stiction > 0) {
      if (Math.abs(this.u - this.x) > e.stiction) this.x = this.u;
    } else this.x += (this.u - this.x) * lag(2);
    // Slow disturbances: the suction tank level and the discharge header pressure (other consumers) wander (OU).
    this.level = this.level * (1 - lag(300)) + Math.sqrt(2 * lag(300)) * r.normal();
    this.header = this.header * (1 - lag(120)) + Math.sqrt(2 * lag(120)) * r.normal();
    const fx = { leak: e.leak, headLoss: 1 - (1 - e.headLoss) * (1 - wear) };
    const qss = this.steadyFlow(s, this.x, fx);
    // Fluid inertia (~1.5 s) plus turbulence; cavitation makes the flow itself rough.
    this.q += (qss - this.q) * lag(1.5) + 0.004 * e.flowNoise * r.normal();
    this.q = Math.max(0, this.q);
    const q = this.q;
    const sysHead = this.systemHead(q, this.x);
    const qp = q + this.leakFlow(sysHead, e.leak);
    const heat = this.heat(s, qp, { ...e, headLoss: fx.headLoss });
    this.tMotor += (ambient + heat.motorRise - this.tMotor) * lag(this.tauMotor);
    this.tBearing += (ambient + this.bearingRise(heat.motorRise) - this.tBearing) * lag(this.tauBearing);
    const ps = this.ps0 + 0.06 * this.level - 0.05 * qp * qp - e.suctionDrop;
    const pd = ps + heat.head / 10.2;
    const vMotor = 400 * Math.max(0.1, s);
    const iActive = (heat.pElec * 1000) / (Math.sqrt(3) * vMotor * 0.9);
    const current = Math.sqrt(this.i0 * this.i0 + iActive * iActive);
    const vibP = (this.vp0 + this.vpk * s * s + 1.5 * (qp / s - 1) ** 2) * (1 + 0.06 * wear / 0.01) * e.vibPump;
    const vibM = this.vm0 + this.vmk * s * s;
    const m = new Float64Array(SKID_CHANNELS.length);
    m[C.speed] = this.nRpm * s + 1.5 * r.normal();
    m[C.flow] = this.qn * q * (1 + 0.006 * r.normal());
    m[C.suction_pressure] = ps + 0.006 * r.normal();
    m[C.discharge_pressure] = pd + 0.01 * r.normal();
    m[C.motor_current] = current * (1 + 0.004 * r.normal());
    m[C.motor_power] = heat.pElec * (1 + 0.004 * r.normal());
    m[C.motor_temp] = this.tMotor + 0.08 * r.normal();
    m[C.bearing_temp] = this.tBearing + 0.08 * r.normal();
    m[C.vib_pump] = vibP * rmsNoise(r);
    m[C.vib_motor] = vibM * rmsNoise(r);
    for (let j = 0; j < SKID_CHANNELS.length; j++) {
      if (j === C.valve_position) continue;
      m[j] = e.stuck[j] ? this.prev[j] : m[j] + e.bias[j];
    }
    // PI flow controller (velocity form) acts on the measured flow, biased or not, and its output is a channel.
    const err = (op.flow - m[C.flow]) / this.qn;
    this.u = Math.min(1, Math.max(0.02, this.u + 0.5 * (err - this.ePrev) + (0.5 / 5) * err));
    this.ePrev = err;
    m[C.valve_position] = e.stuck[C.valve_position] ? this.prev[C.valve_position] : 100 * this.u + e.bias[C.valve_position];
    this.prev.set(m);
    out.set(m);
  }
}

/** Relative factor of a broadband RMS estimated from 8 independent samples: sqrt(chi²₈ / 8). */
function rmsNoise(r: Rng): number {
  let acc = 0;
  for (let k = 0; k < 8; k++) {
    const z = r.normal();
    acc += z * z;
  }
  return Math.sqrt(acc / 8);
}
