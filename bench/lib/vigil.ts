/**
 * `vigil run` as users start it, for the benches that measure the product as shipped (memory, burst, sustained):
 * the launcher (`npx vigil run`, the bundle it builds) with no flags beyond model, broker, topic, a free metrics
 * port and a state file in a temp folder; the pid of its node process, its /proc memory and CPU, its /metrics;
 * and the bench models (conv AEs trained by `vigil train` on simulated pump data, cached).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { csvRecords } from '../../runtime/data/csv-records.ts';
import { cliArg } from './child.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Train the bench model once (cached under bench/results/tmp): simulated pump CSV, `vigil train --window 64` (default conv). */
export function benchModel(): string {
  return cliArg('model', '') || trainedModel('pump64', ['--window', '64', '--epochs', '8']);
}

/**
 * `vigil train --data <the simulated pump CSV> --out bench/results/tmp/memory/NAME ...trainArgs`, once (cached); the
 * CSV (`vigil simulate synthetic`, 4,000 rows, seed 7) is made first if missing. Returns the model path.
 */
export function trainedModel(name: string, trainArgs: string[]): string {
  const dir = join(ROOT, 'bench/results/tmp/memory');
  const model = join(dir, name);
  if (existsSync(`${model}.json`)) return model;
  const vigil = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/vigil.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`vigil ${args[0]} failed (${r.status})`);
  };
  if (!existsSync(join(dir, 'csv/pump-00001.csv'))) vigil(['simulate', 'synthetic', '--csv', join(dir, 'csv'), '--rows', '4000', '--seed', '7', '--no-progress']);
  vigil(['train', '--data', join(dir, 'csv/pump-00001.csv'), '--out', model, ...trainArgs]);
  return model;
}

/** Rows of the bench model's training CSV as numbers (without the timestamp), to replay as readings. */
export function csvRows(model: string): { channels: string[]; rows: number[][] } {
  const [header, ...rows] = csvRecords(readFileSync(join(dirname(model), 'csv/pump-00001.csv'), 'utf8'), { separator: ',' }).records;
  return { channels: header.slice(1), rows: rows.map((r) => r.slice(1).map(Number)) };
}

/** The pid of the `vigil` node process among the descendants of `root` (npx runs npm, which runs a shell, which runs node). */
export function findVigilPid(root: number): number | undefined {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const descends = (p: number): boolean => {
    for (let q = p, i = 0; q > 1 && i < 20; q = parent.get(q) ?? 0, i++) if (q === root) return true;
    return false;
  };
  for (const pid of parent.keys()) {
    if (!descends(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      // node's own flags may come first (a launcher like `node --cpu-prof bin/vigil.mjs`, for profiling).
      const script = cmd.slice(1).find((a) => !a.startsWith('-'));
      if (cmd[0].endsWith('node') && /(^|\/)vigil(\.mjs)?$/.test(script ?? '') && cmd.includes('run')) return pid;
    } catch {
      // gone
    }
  }
  return undefined;
}

/** Memory lines of /proc/PID/status, in MB. */
export function procStatus(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]) / 1024;
  }
  return out;
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the state field; clock ticks of 10 ms on Linux.
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Every sample of a Prometheus text exposition, summed over labels per metric name. */
export async function scrape(url: string): Promise<Record<string, number>> {
  return (await scrapeSeries(url)).sums;
}

/** One scrape of /metrics: `sums` per metric name (as `scrape`), `series` per name with its labels (`name{labels}`). */
export async function scrapeSeries(url: string): Promise<{ sums: Record<string, number>; series: Record<string, number> }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sums: Record<string, number> = {};
  const series: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    sums[m[1]] = (sums[m[1]] ?? 0) + Number(m[3]);
    series[m[1] + (m[2] ?? '')] = Number(m[3]);
  }
  return { sums, series };
}

/** `vigil_dropped_total` by reason in a scrape's `series`. */
export function droppedByReason(series: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(series)) {
    const m = /^vigil_dropped_total\{reason="(\w+)"\}$/.exec(k);
    if (m) out[m[1]] = v;
  }
  return out;
}

/**
 * The `q` quantile of a Prometheus histogram's observations between two scrapes' `series` (a, b): the upper bound
 * of the first bucket holding it (Infinity past the last bound, NaN with no observations).
 */
export function histogramQuantile(a: Record<string, number>, b: Record<string, number>, name: string, q: number): number {
  const buckets: Array<[number, number]> = [];
  for (const [k, v] of Object.entries(b)) {
    const m = new RegExp(`^${name}_bucket\\{.*le="([^"]+)".*\\}$`).exec(k);
    if (m) buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]), v - (a[k] ?? 0)]);
  }
  buckets.sort((x, y) => x[0] - y[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return NaN;
  return buckets.find(([, n]) => n >= q * total)![0];
}

/** A started `vigil run`. */
export interface VigilProcess {
  child: ChildProcess;
  /** The node process running vigil (under npx). */
  pid: number;
  opsUrl: string;
  /** Whether the launcher ran its bundle or the sources through tsx. */
  loader: string;
  stderr: () => string;
  stop: () => Promise<void>;
}

/**
 * Start `LAUNCHER run --model M --broker URL --topic T --metrics-port 0 --state WORK/state.json [extra]` as users
 * do, wait for its banner (ops URL).
 */
export async function startVigil(opts: { launcher: string[]; model: string; broker: string; topic: string; work: string; extra?: string[]; nodeOptions?: string }): Promise<VigilProcess> {
  const args = [...opts.launcher.slice(1), 'run', '--model', opts.model, '--broker', opts.broker, '--topic', opts.topic, '--metrics-port', '0', '--state', join(opts.work, 'state.json'), ...(opts.extra ?? [])];
  // VIGIL_DEBUG makes the launcher say whether the bundle or the tsx fallback runs (recorded with the numbers).
  const env = { ...process.env, VIGIL_DEBUG: '1', ...(opts.nodeOptions ? { NODE_OPTIONS: opts.nodeOptions } : {}) };
  const child = spawn(opts.launcher[0], args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // The launcher runs in its own process group (npx -> sh -> node): take the whole group down if we exit first.
  const killAll = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killAll);
  child.once('exit', () => process.removeListener('exit', killAll));
  let out = '';
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
  const opsUrl = await new Promise<string>((done, fail) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /ops\s+(http:\/\/\S+)\/metrics/.exec(out);
      if (m) done(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`vigil run exited (${code}) before its banner:\n${err}`)));
  });
  const pid = findVigilPid(child.pid!);
  if (!pid) throw new Error('could not find the vigil node process under the launcher');
  const loader = /vigil: running the bundle/.test(err) ? 'bundle' : /vigil: running the sources/.test(err) ? 'tsx' : 'unknown';
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGINT');
    const t = setTimeout(killAll, 5000);
    await exited;
    clearTimeout(t);
  };
  return { child, pid, opsUrl, loader, stderr: () => err, stop };
}

/** One reading as JSON: `{"ts":TS,"<channel>":value,...}`, values multiplied by `scale` (a spike when > 1). */
export function readingJson(channels: string[], values: number[], ts: number, scale = 1): string {
  let p = `{"ts":${ts}`;
  for (let c = 0; c < channels.length; c++) p += `,"${channels[c]}":${scale === 1 ? values[c] : +(values[c] * scale).toFixed(4)}`;
  return `${p}}`;
}

/** Delta of selected counters between two scrapes. */
export const delta = (a: Record<string, number>, b: Record<string, number>, k: string): number => (b[k] ?? 0) - (a[k] ?? 0);
