#!/usr/bin/env python3
"""Independent chiller generator (a helper session playing a data scientist; not vigil's simulators).

6 channels every 60 s for 20 days, load following an unmeasured outside temperature, weekends at lower load, a
historian-style export (missing rows, empty cells, a text mode column, ISO times with a DST offset change) and five
labelled faults. OUT=dir (default data); NOFOUL=1 leaves the condenser fouling out. Writes raw_train.csv /
raw_all.csv (with the mode column), train.csv / all.csv, adapt.csv (days 8-10) and labels.csv. Needs numpy.
"""
import numpy as np, os, datetime as dt
rng = np.random.default_rng(7); OUT = os.environ.get('OUT', 'data'); os.makedirs(OUT, exist_ok=True)
DAYS, n = 20, 20 * 1440; start = dt.datetime(2024, 3, 18)
loc = [start + dt.timedelta(minutes=i) for i in range(n)]
def iso(t):
    u = t - dt.timedelta(hours=1); o = 2 if u >= dt.datetime(2024, 3, 31, 1) else 1
    return (u + dt.timedelta(hours=o)).strftime('%Y-%m-%dT%H:%M:%S') + f'+0{o}:00'
hour = np.array([t.hour + t.minute / 60 for t in loc]); day = np.arange(n) // 1440
wd = np.array([t.weekday() for t in loc])
t_out = (14 + np.cumsum(rng.normal(0, 1.0, DAYS)))[day] + 7 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0, .3, n)
occ = ((hour >= 7) & (hour < 19)).astype(float)
load = np.clip(0.25 + 0.5 * occ + 0.025 * (t_out - 15), 0.1, 1.0)
load = np.where(wd >= 5, 0.5 * load + 0.05, load); load = np.convolve(load, np.ones(15) / 15, mode='same')
supply = 6.7 + 0.4 * load + rng.normal(0, .08, n); flow = 32 + rng.normal(0, .4, n)
ret = supply + 6.0 * load + rng.normal(0, .1, n); curr = 35 + 140 * load + rng.normal(0, 2, n)
cond = 850 + 14 * (t_out - 15) + 180 * load + rng.normal(0, 6, n)
evap = 360 + 9 * (supply - 6.7) - 25 * load + rng.normal(0, 3, n)
label = np.zeros(n, int); faults = []
def I(d, h): return d * 1440 + int(h * 60)
def fault(name, d0, h0, d1, h1):
    a, b = I(d0, h0), I(d1, h1); label[a:b] = 1; faults.append((name, a, b)); return a, b
a, b = fault('refrigerant_leak', 10, 0, 11, 0); r = np.linspace(0, 1, b - a)
evap[a:b] -= 45 * r; supply[a:b] += .6 * r; ret[a:b] += .6 * r; curr[a:b] -= 8 * r
a, b = fault('supply_sensor_stuck', 11, 9, 11, 15); supply[a:b] = round(supply[a - 1], 2)
a, b = fault('compressor_trip', 14, 14, 14, 14.67); k = np.linspace(0, 1, b - a)
curr[a:b] = rng.normal(1.5, .3, b - a); supply[a:b] += 5 * (1 - np.exp(-5 * k)); ret[a:b] += 4 * (1 - np.exp(-5 * k))
cond[a:b] -= 180 * (1 - np.exp(-8 * k)); evap[a:b] += 90 * (1 - np.exp(-8 * k))
if not os.environ.get('NOFOUL'):
    a, b = fault('condenser_fouling', 16, 6, 16, 18); r = np.linspace(0, 1, b - a); cond[a:b] += 120 * r; curr[a:b] += 12 * r
a, b = fault('valve_oscillation', 18, 10, 18, 13); tt = np.arange(b - a)
flow[a:b] += 5 * np.sin(2 * np.pi * tt / 6); ret[a:b] += .5 * np.sin(2 * np.pi * tt / 6 + 1)
mode = np.where(rng.random(n) < .02, 'MANUAL', 'AUTO')
ch = dict(supply_temp=supply, return_temp=ret, comp_current=curr, cond_pressure=cond, evap_pressure=evap, flow=flow)
keep = np.ones(n, bool); keep[rng.choice(n, 25, replace=False)] = False; keep[I(3, 2):I(3, 2.5)] = False
blank = set(zip(rng.choice(n, 12, replace=False), rng.choice(6, 12))); ts = [iso(t) for t in loc]
def write(path, rows, with_mode=False):
    with open(path, 'w') as f:
        f.write(','.join(['timestamp', *ch, 'label'] + ['mode'] * with_mode) + '\n')
        for i in rows:
            if not keep[i]: continue
            cells = [ts[i]] + ['' if (i, j) in blank else f'{v[i]:.3f}' for j, v in enumerate(ch.values())] + [str(label[i])]
            f.write(','.join(cells + [mode[i]] * with_mode) + '\n')
TR = I(7, 0)
write(f'{OUT}/raw_train.csv', range(TR), True); write(f'{OUT}/raw_all.csv', range(n), True)
write(f'{OUT}/train.csv', range(TR)); write(f'{OUT}/all.csv', range(n)); write(f'{OUT}/adapt.csv', range(TR, I(10, 0)))
with open(f'{OUT}/labels.csv', 'w') as f:
    f.write('start,end,type\n'); [f.write(f'{ts[a]},{ts[b - 1]},{nm}\n') for nm, a, b in faults]
