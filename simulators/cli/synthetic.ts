/** `vigil simulate synthetic`: a fleet of simulated pumps with labelled faults, to MQTT or to CSV files. */
import { Command, Option } from 'commander';
import { ANOMALY_TYPES, type AnomalyType } from '../synthetic/anomalies.ts';
import { SYNTHETIC_DEFAULTS, type SyntheticOptions } from '../synthetic/sensor.ts';
import { generateSynthetic, validateOptions } from '../synthetic/generate.ts';
import { writeSyntheticCsv, LabelWriter } from '../synthetic/files.ts';
import { streamSynthetic } from '../synthetic/stream.ts';
import { PLANT_SET, plantSet } from '../synthetic/plant-set.ts';
import { writePlantSetCsv } from '../synthetic/plant-set-files.ts';
import { encodeReading, checkTopicTemplate, PAYLOAD_FORMATS, type PayloadFormat } from '../payload/encode.ts';
import { connectMqtt, endMqtt } from '../broker/connect.ts';
import { createPublisher } from '../replay/publisher.ts';
import { createProgress } from './progress.ts';
import { parseCount, parseNumber, parsePositiveInt } from '@vigil/runtime/util/parse-option.ts';
import { parseSpeed, parseQos, parseRate, parseDuration, runProgram } from './options.ts';

interface SyntheticCliOptions {
  sensors: number;
  channels: number;
  seed: number;
  interval: number;
  anomalyRate: number;
  types: string;
  cleanRows: number;
  dayPeriod: number;
  modeDwell: number;
  prefix: string;
  rows?: number;
  duration?: number;
  csv?: string;
  labelColumn: boolean;
  labels: string;
  broker: string;
  topic: string;
  format: PayloadFormat;
  qos: 0 | 1 | 2;
  speed: number;
  start?: string;
  username?: string;
  password?: string;
  progress: boolean;
  set: 'pumps' | 'plant';
  runs: number;
}

function parseTypes(v: string): AnomalyType[] {
  if (v === 'all') return [...ANOMALY_TYPES];
  const t = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = t.filter((x) => !(ANOMALY_TYPES as readonly string[]).includes(x));
  if (bad.length) throw new Error(`--types: unknown ${bad.join(', ')}; expected 'all' or a comma list of ${ANOMALY_TYPES.join(', ')}`);
  return t as AnomalyType[];
}

function toOptions(o: SyntheticCliOptions, start: number): SyntheticOptions {
  const opts: SyntheticOptions = {
    ...SYNTHETIC_DEFAULTS,
    sensors: o.sensors, channels: o.channels, seed: o.seed, intervalMs: o.interval, start,
    anomalyRate: o.anomalyRate, types: parseTypes(o.types), cleanRows: o.cleanRows,
    dayPeriodS: o.dayPeriod / 1000, modeDwellS: o.modeDwell / 1000, prefix: o.prefix,
  };
  validateOptions(opts);
  return opts;
}

/** Build the command. */
export function syntheticCommand(): Command {
  const d = SYNTHETIC_DEFAULTS;
  return new Command('synthetic')
    .description('simulated pumps (flow, motor current, temperature, pressure, vibration, voltage, speed, power) with labelled injected faults')
    .option('--sensors <n>', 'number of pumps', parsePositiveInt, d.sensors)
    .option('--channels <c>', 'channels per pump (8 = every physical channel; more adds aux_k mixes)', parsePositiveInt, d.channels)
    .option('--seed <s>', 'seed: same seed, same readings and faults', parseNumber, d.seed)
    .option('--interval <d>', 'time between readings of one pump, e.g. 1s, 500ms', parseDuration, d.intervalMs)
    .option('--anomaly-rate <p>', 'probability per reading that a fault starts, e.g. 1/3000', parseRate, d.anomalyRate)
    .option('--types <list>', `faults to inject: 'all' or a comma list of ${ANOMALY_TYPES.join(', ')}`, 'all')
    .option('--clean-rows <n>', 'readings at the start of every pump without faults (to train on)', parseCount, d.cleanRows)
    .option('--day-period <d>', 'period of the demand cycle (24h; shorter compresses days)', parseDuration, d.dayPeriodS * 1000)
    .option('--mode-dwell <d>', 'mean time in one operating mode', parseDuration, d.modeDwellS * 1000)
    .option('--prefix <p>', 'sensor id prefix (ids: <prefix>-00001...)', d.prefix)
    .option('--rows <n>', 'readings per pump, then stop (required with --csv)', parsePositiveInt)
    .option('--duration <d>', 'recorded time per pump, then stop, e.g. 2h (alternative to --rows)', parseDuration)
    .option('--csv <dir>', 'write <dir>/<sensor>.csv + labels.csv instead of publishing')
    .option('--label-column', 'with --csv: add a 0/1 label column to each sensor file', false)
    .option('--labels <file>', 'ground truth when publishing (one row per fault interval, written as each ends)', 'synthetic-labels.csv')
    .option('--broker <url>', 'broker URL', 'mqtt://127.0.0.1:1883')
    .option('--topic <template>', 'topic template: {sensor}, and {channel} for --format number', 'sensors/{sensor}/data')
    .addOption(new Option('--format <f>', 'payload format, read by the runtime codec of the same name (flat: json)').choices(PAYLOAD_FORMATS).default('json'))
    .option('--qos <n>', 'publish QoS', parseQos, 0)
    .option('--speed <x>', "recorded time per wall time: 1 / 'realtime', 60, or 'max'", parseSpeed, 1)
    .option('--start <ts>', 'timestamp of the first reading (default: now when publishing, 2024-01-01 for --csv)')
    .option('--username <u>', 'broker user name')
    .option('--password <p>', 'broker password (or set VIGIL_MQTT_PASSWORD)')
    .option('--no-progress', 'no progress display')
    .addOption(new Option('--set <name>', "'pumps': the fleet above; 'plant': the harder plant set (short training, drift, faults lasting minutes), with --csv and --seed only").choices(['pumps', 'plant']).default('pumps'))
    .option('--runs <n>', `with --set plant: number of runs (skids)`, parsePositiveInt, PLANT_SET.runs)
    .addHelpText('after', `
Examples:
  vigil simulate synthetic --sensors 10000 --channels 8 --seed 7           # live, 1 reading/s per pump
  vigil simulate synthetic --sensors 4 --rows 20000 --csv data/synthetic   # labelled training/evaluation files
  vigil simulate synthetic --set plant --csv data/plant                    # <run>/train.csv, test.csv, labels.csv`)
    .action(runSynthetic);
}

type ParseWhen = (typeof import('./options.ts'))['parseWhen'];

/** Write the plant set, write CSV files, or publish live, as the options say. */
async function runSynthetic(o: SyntheticCliOptions): Promise<void> {
  const rows = o.rows ?? (o.duration !== undefined ? Math.max(1, Math.round(o.duration / o.interval)) : undefined);
  const { parseWhen } = await import('./options.ts');
  if (o.set === 'plant') return writePlantSet(o);
  if (o.csv) return writeCsv(o, o.csv, rows, parseWhen);
  return publishLive(o, rows, parseWhen);
}

/** `--set plant`: the plant set's runs as files. */
function writePlantSet(o: SyntheticCliOptions): void {
  if (!o.csv) throw new Error('--set plant writes files: give --csv DIR');
  const t0 = performance.now();
  const options = { ...PLANT_SET, seed: o.seed, runs: o.runs };
  const runs = plantSet(options);
  writePlantSetCsv(runs, options, o.csv);
  const faults = runs.reduce((a, r) => a + r.labels.length, 0);
  process.stderr.write(`wrote ${runs.length} run(s) x (${options.trainRows} train + ${options.testRows} test rows), ${faults} labelled faults, plant-set.json and ${runs[0].id}.svg to ${o.csv} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

/** `--csv DIR`: one file per pump, labels.csv and a plot. */
async function writeCsv(o: SyntheticCliOptions, dir: string, rows: number | undefined, parseWhen: ParseWhen): Promise<void> {
  if (rows === undefined) throw new Error('--csv needs --rows or --duration (how much data to write)');
  const start = o.start ? await parseWhen(o.start) : SYNTHETIC_DEFAULTS.start;
  const t0 = performance.now();
  const data = generateSynthetic({ ...toOptions(o, start), rows });
  const files = writeSyntheticCsv(data, dir, { labelColumn: o.labelColumn });
  const byType = new Map<string, number>();
  for (const l of data.labels) byType.set(l.type, (byType.get(l.type) ?? 0) + 1);
  process.stderr.write(`wrote ${files.length - 3} sensor file(s) x ${rows} rows, labels.csv (${data.labels.length} faults: ${[...byType].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}), synthetic.json and ${data.sensors[0].id}.svg to ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

/** Publish the fleet to the broker until `rows` per pump (or Ctrl-C), writing ground truth as faults end. */
async function publishLive(o: SyntheticCliOptions, rows: number | undefined, parseWhen: ParseWhen): Promise<void> {
  const opts = toOptions(o, o.start ? await parseWhen(o.start) : Date.now());
  checkTopicTemplate(o.topic, o.format, opts.channels);
  const client = await connectMqtt(o.broker, { username: o.username, password: o.password ?? process.env.VIGIL_MQTT_PASSWORD });
  const pub = createPublisher(client, { qos: o.qos });
  const labels = new LabelWriter(o.labels);
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stderr.write(`${opts.sensors} pump(s) x ${opts.channels} channels every ${opts.intervalMs} ms at ${o.speed === Infinity ? 'max speed' : `${o.speed}x`} -> ${o.broker} ${o.topic}; ground truth -> ${o.labels} (Ctrl-C stops)\n`);
  const total = rows === undefined ? Infinity : rows * opts.sensors;
  const bar = createProgress('synthetic', '| {rate} readings/s | {faults} faults', { enabled: o.progress });
  const t0 = Date.now();
  let n = 0;
  const tick = progressTicker(t0, () => n, (value, rate) => bar.update({ value, total: Number.isFinite(total) ? total : value, fields: { rate, faults: labels.count } }));
  const summary = await streamSynthetic({
    options: opts, speed: o.speed, rows: rows ?? Infinity, signal: ac.signal,
    async publish(sensor, ts, channels, values) {
      for (const m of encodeReading(o.format, o.topic, sensor, ts, channels, values)) await pub.publish(m.topic, m.payload);
      n++;
    },
    onLabel: (l) => labels.write(l),
  });
  clearInterval(tick);
  bar.stop();
  await pub.drain();
  await labels.close();
  await endMqtt(client);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  const secs = (Date.now() - t0) / 1000;
  process.stderr.write(`${summary.aborted ? 'stopped' : 'done'}: ${summary.readings} readings from ${opts.sensors} pump(s) in ${secs.toFixed(1)} s (${Math.round(summary.readings / Math.max(secs, 1e-3))}/s), ${summary.labels} fault interval(s) in ${o.labels}, ${pub.stats.failed} publish failures, max lag ${Math.round(summary.maxLagMs)} ms\n`);
  if (pub.stats.failed > 0) process.exitCode = 1;
}

/** Every second, tell `show` the count so far and the rate over the last second. */
function progressTicker(t0: number, count: () => number, show: (n: number, rate: number) => void): ReturnType<typeof setInterval> {
  let rateAt = t0, rateN = 0;
  return setInterval(() => {
    const now = Date.now();
    const n = count();
    const rate = Math.round(((n - rateN) * 1000) / (now - rateAt));
    rateAt = now;
    rateN = n;
    show(n, rate);
  }, 1000);
}

/** `vigil simulate synthetic` entry. */
export function run(args: string[]): Promise<number> {
  return runProgram(new Command('vigil simulate').addCommand(syntheticCommand()), ['synthetic', ...args]);
}
