#!/usr/bin/env python3
"""Independent SKAB-like pump test-rig generator (not vigil's simulators).

8 channels at 1 Hz: Accelerometer1RMS, Accelerometer2RMS, Current, Pressure,
Temperature, Thermocouple, Voltage, VolumeFlowRateRMS.  Each run: the first
400 rows are normal (training), then one labelled fault of 200-500 rows
(`anomaly` 0/1). Two runs have no fault.  Usage: gen_skab_like.py OUTDIR [--no-fault] [--no-temp-drift] [--seed=N]
"""
import sys, os, json
import numpy as np
from datetime import datetime, timedelta

CH = ["Accelerometer1RMS", "Accelerometer2RMS", "Current", "Pressure",
      "Temperature", "Thermocouple", "Voltage", "VolumeFlowRateRMS"]
# nominal level, white-ish noise std (AR(1) phi below)
LEVEL = dict(Accelerometer1RMS=0.212, Accelerometer2RMS=0.265, Current=1.90, Pressure=0.260,
             Temperature=88.0, Thermocouple=28.0, Voltage=232.0, VolumeFlowRateRMS=32.0)
SD = dict(Accelerometer1RMS=0.005, Accelerometer2RMS=0.005, Current=0.08, Pressure=0.015,
          Temperature=0.08, Thermocouple=0.05, Voltage=1.5, VolumeFlowRateRMS=0.4)
PHI = dict(Accelerometer1RMS=0.3, Accelerometer2RMS=0.3, Current=0.2, Pressure=0.5,
           Temperature=0.8, Thermocouple=0.8, Voltage=0.1, VolumeFlowRateRMS=0.4)


def ar1(rng, n, sd, phi):
    e = rng.normal(0, sd * np.sqrt(1 - phi ** 2), n)
    x = np.empty(n); x[0] = rng.normal(0, sd)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


def normal_run(rng, n):
    t = np.arange(n)
    X = {c: LEVEL[c] + ar1(rng, n, SD[c], PHI[c]) for c in CH}
    # slow drifts over the whole run (continue after training)
    temp_rate = rng.uniform(0.2, 0.4) / 100      # deg per row
    tc_rate = temp_rate * rng.uniform(0.5, 0.8)
    if not NO_TEMP_DRIFT:   # counterfactual switch; rng draws are kept either way
        X["Temperature"] += temp_rate * t
        X["Thermocouple"] += tc_rate * t
    X["Current"] += rng.uniform(-0.02, 0.04) / 100 * t    # slow creep: up to ~0.5 A (several sd) over a run
    X["Pressure"] += rng.uniform(-0.002, 0.003) / 100 * t
    # occasional operating-point changes of the rig (normal): both accelerometers
    # step together, flow and current follow slightly
    n_op = rng.integers(1, 3)
    ops = []
    for _ in range(n_op):
        s = int(rng.integers(150, n - 100))
        d = rng.choice([-1, 1]) * rng.uniform(1.5, 2.5)   # in accel sd units
        X["Accelerometer1RMS"][s:] += d * SD["Accelerometer1RMS"]
        X["Accelerometer2RMS"][s:] += 0.8 * d * SD["Accelerometer2RMS"]
        X["VolumeFlowRateRMS"][s:] += 0.5 * d * SD["VolumeFlowRateRMS"]
        X["Current"][s:] += 0.5 * d * SD["Current"]
        ops.append((s, round(float(d), 2)))
    return X, ops


def ramp(n, start, length, rise=20):
    """0 before start, ramps to 1 over `rise` rows, 1 until start+length, 0 after."""
    r = np.zeros(n)
    idx = np.arange(start, min(n, start + length))
    r[idx] = np.clip((idx - start + 1) / rise, 0, 1)
    return r


def inject(kind, X, rng, n, s, L):
    m = ramp(n, s, L)
    lin = np.zeros(n); lin[s:s + L] = np.arange(min(L, n - s))   # rows since start
    sl = slice(s, s + L)
    if kind == "valve_closed":          # pressure up, flow down, current slightly down
        X["Pressure"] += 2.5 * SD["Pressure"] * m
        X["VolumeFlowRateRMS"] -= 3.0 * SD["VolumeFlowRateRMS"] * m
        X["Current"] -= 0.8 * SD["Current"] * m
    elif kind == "cavitation":          # vibration up and noisy, flow noisy and lower
        for c, k in (("Accelerometer1RMS", 1.5), ("Accelerometer2RMS", 1.2)):
            X[c] += k * SD[c] * m + m * rng.normal(0, 2.0 * SD[c], n)
        X["VolumeFlowRateRMS"] += m * (rng.normal(0, 1.5 * SD["VolumeFlowRateRMS"], n) - 1.0 * SD["VolumeFlowRateRMS"])
        X["Pressure"] += m * rng.normal(0, 1.0 * SD["Pressure"], n)
    elif kind == "rotor_imbalance":     # one accelerometer up
        X["Accelerometer1RMS"] += 3.0 * SD["Accelerometer1RMS"] * m
        X["Accelerometer2RMS"] += 0.5 * SD["Accelerometer2RMS"] * m
    elif kind == "thermocouple_drift":  # sensor drift: thermocouple walks away from temperature
        X["Thermocouple"] += 1.2 / 100 * lin     # 1.2 deg per 100 rows
    elif kind == "overheating":         # temperature ramps faster; thermocouple follows partly
        X["Temperature"] += 1.5 / 100 * lin
        X["Thermocouple"] += 0.6 / 100 * lin
        X["Current"] += 0.7 * SD["Current"] * m
    elif kind == "voltage_sag":         # supply voltage drops ~5 sd, current rises
        X["Voltage"] -= 7.0 * m
        X["Current"] += 1.5 * SD["Current"] * m
    elif kind == "bearing_wear":        # accelerometer 2 ramps up slowly, a bit noisier
        X["Accelerometer2RMS"] += (4.0 * SD["Accelerometer2RMS"] / L) * lin + m * rng.normal(0, 0.8 * SD["Accelerometer2RMS"], n)
    elif kind == "flow_sensor_stuck":   # flow frozen at its last value
        X["VolumeFlowRateRMS"][sl] = X["VolumeFlowRateRMS"][s - 1]
    elif kind == "seal_leak":           # flow and pressure slightly down, current down
        X["VolumeFlowRateRMS"] -= 2.0 * SD["VolumeFlowRateRMS"] * m
        X["Pressure"] -= 1.5 * SD["Pressure"] * m
        X["Current"] -= 1.0 * SD["Current"] * m
    elif kind == "valve_hunting":       # pressure and flow oscillate (period ~20 rows)
        ph = 2 * np.pi * lin / 20
        X["Pressure"] += m * 2.0 * SD["Pressure"] * np.sin(ph)
        X["VolumeFlowRateRMS"] -= m * 2.0 * SD["VolumeFlowRateRMS"] * np.sin(ph)
    elif kind == "loose_connection":    # intermittent current spikes on ~8 % of rows
        sp = (rng.random(n) < 0.08) & (m > 0)
        X["Current"][sp] += rng.uniform(4, 6, sp.sum()) * SD["Current"]
        X["Voltage"][sp] -= rng.uniform(1, 2, sp.sum()) * SD["Voltage"]
    elif kind == "dry_running":         # air ingress: flow down, current down, vibration up, temp rises
        X["VolumeFlowRateRMS"] -= 2.5 * SD["VolumeFlowRateRMS"] * m
        X["Current"] -= 1.5 * SD["Current"] * m
        X["Accelerometer1RMS"] += 1.5 * SD["Accelerometer1RMS"] * m
        X["Accelerometer2RMS"] += 1.5 * SD["Accelerometer2RMS"] * m
        X["Temperature"] += 0.6 / 100 * lin
    else:
        raise ValueError(kind)


FAULTS = ["valve_closed", "cavitation", "rotor_imbalance", "thermocouple_drift", "overheating",
          "voltage_sag", "bearing_wear", "flow_sensor_stuck", "seal_leak", "valve_hunting",
          "loose_connection", "dry_running", None, None]


NO_TEMP_DRIFT = "--no-temp-drift" in sys.argv  # counterfactual: temperature/thermocouple without their drift
NO_FAULT = "--no-fault" in sys.argv   # counterfactual: same noise/drift/op changes, fault not injected
# Another draw of the same process (--seed=N; default 1000, the set the figures in VARIANTS.md come from): a check that
# a change holds on runs nobody has looked at, not only on the ones its failures were read from.
SEED = next((int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--seed=")), 1000)


def main(out):
    os.makedirs(out, exist_ok=True)
    meta = []
    t0 = datetime(2020, 3, 9, 10, 0, 0)
    for i, kind in enumerate(FAULTS):
        rng = np.random.default_rng(SEED + i)
        n = int(rng.integers(1100, 1401))
        X, ops = normal_run(rng, n)
        lab = np.zeros(n, dtype=int)
        s = L = None
        if kind:
            L = int(rng.integers(200, 501))
            s = int(rng.integers(480, n - L - 30))
            if not NO_FAULT:
                inject(kind, X, rng, n, s, L)
                lab[s:s + L] = 1
        start = t0 + timedelta(days=i)
        name = f"run{i + 1:02d}_{kind or 'normal'}"
        with open(os.path.join(out, name + ".csv"), "w") as f:
            f.write("datetime," + ",".join(CH) + ",anomaly\n")
            for r in range(n):
                ts = (start + timedelta(seconds=r)).strftime("%Y-%m-%d %H:%M:%S")
                f.write(ts + "," + ",".join(f"{X[c][r]:.5g}" if c != "Voltage" else f"{X[c][r]:.2f}" for c in CH) + f",{lab[r]}\n")
        meta.append(dict(run=name, kind=kind or "none", rows=n, fault_start=s, fault_len=L,
                         first_test_ts=(start + timedelta(seconds=400)).strftime("%Y-%m-%d %H:%M:%S"),
                         op_changes=ops))
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    for m in meta:
        print(m)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "data")
