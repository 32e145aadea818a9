#!/usr/bin/env python3
"""A filter clogging slowly over 10 h, then replaced: a reproduction of a field probe's finding (VARIANTS.md "A slow
clog learnt as normal, and a repair the way back does not see").

A water-treatment dosing line, 6 channels: flow on a shift setpoint (90 / 110 / 100 at 06 / 14 / 22 h), pressure,
current and filter differential pressure following it, turbidity and chlorine independent noise. Two normal days for
training, then day 3 with filter_dp rising 0.3 (about twice its training range) and pressure 0.1 from 09:00 to 19:00,
flow sagging 3, all back to normal at 19:00 (the filter replaced). Writes OUTDIR/train.csv and OUTDIR/day3.csv.

Usage: gen_clog.py OUTDIR [STEP_SECONDS (default 1)]    (needs numpy)
  node bin/vigil.mjs train --data OUTDIR/train.csv --out OUTDIR/m --quiet
  node bin/vigil.mjs score --model OUTDIR/m --data OUTDIR/day3.csv --out OUTDIR/s3.csv
"""
import csv
import datetime as dt
import os
import sys

import numpy as np

OUT = sys.argv[1]
STEP = int(sys.argv[2]) if len(sys.argv) > 2 else 1
rng = np.random.default_rng(5)


def days(d0, n_days, clog=None):
    rows = []
    t0 = dt.datetime(2026, 3, 1) + dt.timedelta(days=d0)
    ar = np.zeros(6)
    for i in range(int(n_days * 86400 / STEP)):
        t = t0 + dt.timedelta(seconds=i * STEP)
        h = t.hour + t.minute / 60
        sp = 90 if 6 <= h < 14 else (110 if 14 <= h < 22 else 100)
        ar = 0.8 * ar + rng.normal(0, 1, 6) * np.array([1.0, 0.01, 0.02, 0.02, 0.1, 0.005])
        flow = sp + ar[0]
        dp = 0.2 + 0.001 * flow + ar[5]
        pres = 2 + 0.01 * flow + ar[1]
        if clog and clog[0] <= h < clog[1]:
            frac = (h - clog[0]) / (clog[1] - clog[0])
            dp += 0.3 * frac
            pres += 0.1 * frac
            flow -= 3 * frac
        rows.append([t.strftime('%Y-%m-%dT%H:%M:%SZ'), round(flow, 3), round(pres, 4), round(0.3 + ar[2], 4),
                     round(1.0 + ar[3], 4), round(10 + 0.05 * flow + ar[4], 3), round(dp, 4)])
    return rows


os.makedirs(OUT, exist_ok=True)
HEADER = ['timestamp', 'flow', 'pressure', 'turbidity', 'chlorine', 'current', 'filter_dp']
for name, rows in (('train', days(0, 2)), ('day3', days(2, 1, (9, 19)))):
    with open(os.path.join(OUT, name + '.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
