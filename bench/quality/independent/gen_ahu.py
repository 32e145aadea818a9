#!/usr/bin/env python3
"""Independent air-handling-unit generator (a helper session playing an HVAC field engineer; not vigil's simulators).

20 AHUs, 6 channels every 10 s for 11 days from Monday 2024-03-04: supply/return air temperature, fan speed, outdoor
air damper, filter differential pressure, heating coil valve. Occupied 06:00-19:00 on weekdays (each unit starts a
little earlier or later), fan off at night and at weekends with night-setback heating cycles on cold nights. Days 0-6
are normal (train.csv: unit ahu01). From day 7 (test_ahuNN.csv, with a `fault` label column; live_ahuNN.jsonl, one
JSON reading a line) faults on four units: ahu01 all four in turn, ahu02-ahu04 one each:
  stuck damper (frozen while the economiser should move it), fouled filter (dp rising over 10 h, fan compensating),
  fan belt slip (fan speed down and jittery, less airflow), supply sensor dropout (30 min of empty cells / no value).
Unlabelled and normal: on day 10 every unit's schedule starts at 04:30 (an event), to see what a schedule change does.
OUT=dir (default data). Needs numpy.
"""
import numpy as np, os, json, datetime as dt

OUT = os.environ.get('OUT', 'data'); os.makedirs(OUT, exist_ok=True)
STEP, DAYS, UNITS = 10, 11, 20
PER_DAY = 86400 // STEP; n = DAYS * PER_DAY
start = dt.datetime(2024, 3, 4)  # a Monday
ts = [(start + dt.timedelta(seconds=i * STEP)).strftime('%Y-%m-%dT%H:%M:%SZ') for i in range(n)]
hour = (np.arange(n) % PER_DAY) * STEP / 3600; day = np.arange(n) // PER_DAY
weekday = np.array([(start + dt.timedelta(days=int(d))).weekday() for d in range(DAYS)])[day]
weather = np.random.default_rng(1)
t_out = (7 + np.cumsum(weather.normal(0, 1.2, DAYS)))[day] + 5 * np.sin(2 * np.pi * (hour - 9) / 24)
t_out += np.convolve(weather.normal(0, 0.3, n), np.ones(60) / 60, mode='same')
CH = ['supply_air_c', 'return_air_c', 'fan_speed_pct', 'damper_pct', 'filter_dp_pa', 'coil_valve_pct']
QUANT = [0.1, 0.1, 0.1, 1, 1, 0.5]


def clip(x, lo, hi): return lo if x < lo else hi if x > hi else x


def I(d, h): return int(d * PER_DAY + h * 3600 / STEP)


def unit(u):
    rng = np.random.default_rng(100 + u)
    on_h = 6 + rng.uniform(-0.5, 0.5); off_h = 19 + rng.uniform(-0.5, 0.5)
    fan_nom = rng.uniform(60, 80); dp_nom = rng.uniform(140, 200); zone_sp = 21 + rng.uniform(-0.5, 0.5)
    occ = (weekday < 5) & (hour >= on_h) & (hour < off_h)
    occ |= (day == 10) & (hour >= 4.5) & (hour < off_h)  # the unlabelled schedule change
    fan = np.zeros(n); damper = np.zeros(n); valve = np.zeros(n); supply = np.zeros(n); ret = np.zeros(n)
    zone, sup, night_heat = zone_sp - 3, zone_sp - 3, False
    tol, occl = t_out.tolist(), occ.tolist()
    for i in range(n):
        to = tol[i]
        if occl[i]:
            running, sp_zone = True, zone_sp
        else:  # night setback: run to hold 16 °C, with hysteresis
            night_heat = zone < 15.5 or (night_heat and zone < 17)
            running, sp_zone = night_heat, 16
        if running:
            sp = clip(19 - 0.2 * (to - 5) + 3 * (sp_zone - zone), 13, 30)
            f = fan_nom + 8 * clip((zone - sp_zone) + 0.5, -1, 1) if occl[i] else 40.0
            oa = 20.0 if occl[i] else 0.0
            if occl[i] and to > 10:  # economiser: more outdoor air when it is mild
                oa = clip(20 + 6 * (to - 10), 20, 100)
            mixed = oa / 100 * to + (1 - oa / 100) * zone
            v = clip((sp - mixed) * 9, 0, 100)
            sup += (mixed + v / 9 - sup) * 0.05
            fan[i], damper[i], valve[i] = f, oa, v
            heat = 0.004 * (sup - zone) * f / 70
        else:
            sup += (zone - sup) * 0.003; heat = 0.0
        occupants = 0.0006 if occl[i] else 0.0
        zone += heat + occupants - 0.00012 * (zone - to)
        supply[i], ret[i] = sup, zone
    fan = np.convolve(fan, np.ones(6) / 6, mode='full')[:n]  # the VFD ramps
    damper = np.convolve(damper, np.ones(9) / 9, mode='full')[:n]
    fouling = 1 + 0.006 * np.arange(n) / PER_DAY
    return dict(rng=rng, supply=supply, ret=ret, fan=fan, damper=damper, valve=valve, fouling=fouling,
                dp_nom=dp_nom, occ=occ)


def finish(s, faults):
    rng = s['rng']; label = np.zeros(n, int); missing = np.zeros(n, bool)
    fan, damper, valve, supply, ret, fouling = (s[k].copy() for k in ('fan', 'damper', 'valve', 'supply', 'ret', 'fouling'))
    slip = np.ones(n)
    for kind, a, b in faults:
        label[a:b] = 1; r = np.linspace(0, 1, b - a)
        if kind == 'stuck_damper':
            damper[a:b] = damper[a]; valve[a:b] = np.clip(valve[a:b] + 0.3 * (damper[a:b] - s['damper'][a:b]), 0, 100)
        elif kind == 'fouled_filter':
            fouling[a:b] *= 1 + 2.0 * r ** 2; fan[a:b] *= 1 + 0.10 * r ** 2
        elif kind == 'belt_slip':
            slip[a:b] = 0.85 + 0.04 * rng.standard_normal(b - a); supply[a:b] += 0.8
        elif kind == 'sensor_dropout':
            missing[a:b] = True
    speed = fan * slip
    dp = s['dp_nom'] * fouling * (speed / 70) ** 2
    vals = [supply + rng.normal(0, .05, n), ret + rng.normal(0, .05, n), speed + rng.normal(0, .3, n) * (fan > 1),
            damper + rng.normal(0, .4, n) * (damper > 1), dp + rng.normal(0, 2, n), valve + rng.normal(0, .5, n) * (valve > 1)]
    vals = [np.round(np.maximum(v, 0 if k > 1 else -50) / q) * q for k, (v, q) in enumerate(zip(vals, QUANT))]
    return vals, label, missing


def write_csv(path, vals, label, missing, rows, with_label):
    with open(path, 'w') as f:
        f.write(','.join(['timestamp', *CH] + ['fault'] * with_label) + '\n')
        for i in rows:
            cells = [ts[i]] + [('' if (k == 0 and missing[i]) else f'{v[i]:.1f}') for k, v in enumerate(vals)]
            f.write(','.join(cells + [str(label[i])] * with_label) + '\n')


FAULTS = {
    1: [('stuck_damper', I(7, 10), I(7, 16)), ('fouled_filter', I(8, 6), I(8, 16)),
        ('belt_slip', I(9, 9), I(9, 11)), ('sensor_dropout', I(9, 14), I(9, 14.5))],
    2: [('stuck_damper', I(8, 11), I(8, 17))], 3: [('fouled_filter', I(9, 6), I(9, 16))],
    4: [('belt_slip', I(8, 13), I(8, 15))],
}
TEST = range(I(7, 0), n)
with open(f'{OUT}/faults.csv', 'w') as lf:
    lf.write('unit,kind,start,end\n')
    for u in range(1, UNITS + 1):
        name = f'ahu{u:02d}'; vals, label, missing = finish(unit(u), FAULTS.get(u, []))
        if u == 1: write_csv(f'{OUT}/train.csv', vals, label, missing, range(I(7, 0)), False)
        write_csv(f'{OUT}/test_{name}.csv', vals, label, missing, TEST, True)
        with open(f'{OUT}/live_{name}.jsonl', 'w') as f:
            for i in TEST:
                rec = {'ts': ts[i], **{c: round(float(v[i]), 1) for c, v in zip(CH, vals) if not (c == CH[0] and missing[i])}}
                f.write(json.dumps(rec, separators=(',', ':')) + '\n')
        for kind, a, b in FAULTS.get(u, []): lf.write(f'{name},{kind},{ts[a]},{ts[b - 1]}\n')
        print(name, 'written', flush=True)
