#!/bin/bash
# Train, score and judge every run of an independent data set with vigil's defaults, as issue 13's held-out benchmark
# is run: `vigil train --rows 400`, `vigil score` on the whole file, `vigil evaluate labels --from` the first row after
# training; then the pooled point-wise figures. Usage (from the repository root):
#   python3 bench/quality/independent/gen_skab_like.py /tmp/skab-like     # needs numpy
#   bench/quality/independent/run.sh /tmp/skab-like /tmp/skab-like-work [extra vigil train options]
set -e
D=$1; W=$2; shift 2; mkdir -p "$W"
for f in "$D"/run*.csv; do
  r=$(basename "$f" .csv)
  from=$(python3 -c "import json,sys;print({m['run']:m for m in json.load(open(sys.argv[1]))}[sys.argv[2]]['first_test_ts'])" "$D/meta.json" "$r")
  node bin/vigil.mjs train --data "$f" --rows 400 --out "$W/$r" --quiet "$@" > "$W/$r.train.log" 2>&1
  node bin/vigil.mjs score --model "$W/$r" --data "$f" --out "$W/$r.scores.csv" --quiet > /dev/null 2>&1
  node bin/vigil.mjs evaluate labels --scores "$W/$r.scores.csv" --from "$from" --json "$W/$r.eval.json" > /dev/null 2>&1
done
python3 - "$W" <<'PY'
import glob, json, sys
t = dict(tp=0, fp=0, tn=0, fn=0); events = detected = false_alerts = 0
for f in sorted(glob.glob(sys.argv[1] + '/*.eval.json')):
    m = json.load(open(f))
    for k in t: t[k] += m[k]
    events += len(m['events']); detected += m['eventsDetected']; false_alerts += m['falseAlerts']
    print('%-28s F1 %.3f  false alarms %5.1f%%  events %d/%d  false alerts %d' % (f.split('/')[-1][:-10], m['f1'], 100 * m['falseAlarmRate'], m['eventsDetected'], len(m['events']), m['falseAlerts']))
p = t['tp'] / max(1, t['tp'] + t['fp']); r = t['tp'] / max(1, t['tp'] + t['fn'])
print('pooled: F1 %.3f precision %.3f recall %.3f false alarms %.1f%% events %d/%d false alerts %d' % (2 * p * r / max(1e-9, p + r), p, r, 100 * t['fp'] / max(1, t['fp'] + t['tn']), detected, events, false_alerts))
PY
