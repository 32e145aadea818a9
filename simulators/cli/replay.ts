/** `vigil simulate replay`: publish recorded CSV files to MQTT at a speed factor. */
import { Command, Option } from 'commander';
import { sliceRows } from '@vigil/runtime/data/series.ts';
import { formatTimestamp } from '@vigil/runtime/data/timestamp.ts';
import { oneOf, parseList } from '@vigil/runtime/util/parse-option.ts';
import { loadTracks, namedTrack, type Track } from '../replay/tracks.ts';
import { replay, type TimestampMode } from '../replay/replay.ts';
import { encodeReading, checkTopicTemplate, PAYLOAD_FORMATS, type PayloadFormat } from '../payload/encode.ts';
import { connectMqtt, endMqtt } from '../broker/connect.ts';
import { createPublisher } from '../replay/publisher.ts';
import { createProgress } from './progress.ts';
import { parseSpeed, parseQos, parseWhen, runProgram } from './options.ts';

interface ReplayCliOptions {
  data: string;
  broker: string;
  topic: string;
  speed: number;
  loop: boolean;
  format: PayloadFormat;
  qos: 0 | 1 | 2;
  timestamps: TimestampMode;
  align: 'start' | 'common';
  from?: string;
  to?: string;
  fill: 'ffill' | 'zero' | 'error';
  channels?: string[];
  ignore?: string[];
  username?: string;
  password?: string;
  clientId?: string;
  progress: boolean;
  sensor?: string;
}


/** Keep rows with from <= ts < to; tracks left empty are dropped. */
export async function clipTracks(tracks: Track[], from?: string, to?: string): Promise<Track[]> {
  if (from === undefined && to === undefined) return tracks;
  const lo = from === undefined ? -Infinity : await parseWhen(from);
  const hi = to === undefined ? Infinity : await parseWhen(to);
  return tracks
    .map((t) => {
      const ts = t.series.timestamps;
      let a = 0;
      while (a < ts.length && ts[a] < lo) a++;
      let b = a;
      while (b < ts.length && ts[b] < hi) b++;
      return { ...t, series: sliceRows(t.series, a, b) };
    })
    .filter((t) => t.series.timestamps.length > 0);
}

/** Build the command. */
export function replayCommand(): Command {
  return new Command('replay')
    .description('replay recorded CSV files (NAB `timestamp,value` or wide `timestamp,<channels>`), one sensor per file, to MQTT')
    .requiredOption('--data <path>', 'a CSV file, or a folder searched recursively (sensor id = file name)')
    .option('--sensor <id>', 'sensor id of a single --data file (default: its file name)')
    .option('--broker <url>', 'broker URL', 'mqtt://127.0.0.1:1883')
    .option('--topic <template>', 'topic template: {sensor}, and {channel} for --format number', 'sensors/{sensor}/data')
    .option('--speed <x>', "recorded time per wall time: 60 = a minute per second, 'realtime', or 'max'", parseSpeed, 60)
    .option('--loop', 'start over at the end (timestamps keep increasing)', false)
    .addOption(new Option('--format <f>', 'payload, read by the runtime codec of the same name (flat: json): json {"ts","values":{..}}, flat {"ts",ch:v}, json-array [ts,v1,..], csv "ts,v1,..", number "ts,v" per channel').choices(PAYLOAD_FORMATS).default('json'))
    .option('--qos <n>', 'publish QoS', parseQos, 0)
    .addOption(new Option('--timestamps <mode>', 'shift: first reading = now, spacing kept; now: time of publishing; keep: as recorded').choices(['shift', 'now', 'keep']).default('shift'))
    .addOption(new Option('--align <a>', 'files start together (start) or keep their recorded distance (common)').choices(['start', 'common']).default('start'))
    .option('--from <ts>', 'skip rows before this timestamp')
    .option('--to <ts>', 'stop before this timestamp')
    .option('--fill <policy>', 'missing or non-numeric cells: ffill, zero or error', oneOf(['ffill', 'zero', 'error'] as const), 'ffill')
    .option('--channels <list>', 'publish only these columns, in this order (default: all but label columns: label, anomaly, is_anomaly, changepoint, fault)', parseList)
    .option('--ignore <list>', 'columns never published', parseList)
    .option('--username <u>', 'broker user name')
    .option('--password <p>', 'broker password (or set VIGIL_MQTT_PASSWORD)')
    .option('--client-id <id>', 'MQTT client id')
    .option('--no-progress', 'no progress display')
    .addHelpText('after', `
Examples:
  vigil simulate replay --data ../shared/datasets/nab/data/realKnownCause --speed max --timestamps now
      (at --speed max, the default --timestamps shift stamps days of data into the future, which vigil run refuses)
  vigil simulate replay --data pump.csv --speed realtime --loop --format flat --qos 1`)
    .action(async (o: ReplayCliOptions) => {
      const { tracks: loaded, skipped } = loadTracks(o.data, { fill: o.fill, channels: o.channels, ignore: o.ignore, onNote: (n) => process.stderr.write(`note: ${n}\n`) });
      for (const s of skipped) process.stderr.write(`set aside ${s.file}: ${s.reason}\n`);
      const all = o.sensor !== undefined ? namedTrack(loaded, o.sensor) : loaded;
      const tracks = await clipTracks(all, o.from, o.to);
      if (tracks.length === 0) throw new Error(`no rows between --from ${o.from ?? '(start)'} and --to ${o.to ?? '(end)'}`);
      for (const t of tracks) checkTopicTemplate(o.topic, o.format, t.series.channels.length);
      const client = await connectMqtt(o.broker, { username: o.username, password: o.password ?? process.env.VIGIL_MQTT_PASSWORD, clientId: o.clientId });
      const pub = createPublisher(client, { qos: o.qos });
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const rows = tracks.reduce((n, t) => n + t.series.timestamps.length, 0);
      process.stderr.write(`replaying ${tracks.length} sensor(s), ${rows} readings, to ${o.broker} ${o.topic} at ${o.speed === Infinity ? 'max speed' : `${o.speed}x`}${o.loop ? ', looping' : ''} (Ctrl-C stops)\n`);
      if (o.timestamps === 'shift' && o.speed > 1) {
        // Data time outruns wall time by (1 - 1/speed) of the recorded span; receivers cap how far ahead they accept.
        const spanMs = Math.max(...tracks.map((t) => t.series.timestamps.at(-1)! - t.series.timestamps[0]));
        if (o.loop || spanMs * (1 - 1 / o.speed) > 86_400_000) {
          const when = Number.isFinite(o.speed) ? `after ${Math.round(86_400 / (o.speed - 1) / 60)} min` : 'almost at once';
          process.stderr.write(`note: shifted timestamps run ahead of the clock; a receiver that refuses readings more than 24 h ahead (vigil run's default) will refuse them ${when}. Use --timestamps now (stamp at publishing) or keep.\n`);
        }
      }
      const bar = createProgress('replay', '| {rate}/s | at {recorded} | lag {lag} ms | pass {pass}', { enabled: o.progress });
      const t0 = Date.now();
      let lastRateAt = t0;
      let lastRateSent = 0;
      let rate = 0;
      const summary = await replay({
        tracks, speed: o.speed, passes: o.loop ? Infinity : 1, align: o.align, timestamps: o.timestamps, signal: ac.signal,
        async publish(r) {
          for (const m of encodeReading(o.format, o.topic, r.sensor, r.ts, r.channels, r.values)) await pub.publish(m.topic, m.payload);
        },
        onProgress(p) {
          const now = Date.now();
          if (now - lastRateAt >= 1000) {
            rate = Math.round(((pub.stats.published - lastRateSent) * 1000) / (now - lastRateAt));
            lastRateAt = now;
            lastRateSent = pub.stats.published;
          }
          bar.update({ value: p.sent, total: p.total, fields: { rate, recorded: formatTimestamp(p.recordedTs), lag: Math.round(p.lagMs), pass: p.pass + 1 } });
        },
      });
      bar.stop();
      await pub.drain();
      await endMqtt(client);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const secs = (Date.now() - t0) / 1000;
      process.stderr.write(`${summary.aborted ? 'stopped' : 'done'}: ${summary.sent} readings (${pub.stats.published} messages, ${pub.stats.failed} failed${pub.stats.lastError ? `: ${pub.stats.lastError}` : ''}) in ${secs.toFixed(1)} s, ${Math.round(pub.stats.published / Math.max(secs, 1e-3))} msg/s, max lag ${Math.round(summary.maxLagMs)} ms\n`);
      if (pub.stats.failed > 0) process.exitCode = 1;
    });
}

/** `vigil simulate replay` entry. */
export function run(args: string[]): Promise<number> {
  return runProgram(new Command('vigil simulate').addCommand(replayCommand()), ['replay', ...args]);
}
