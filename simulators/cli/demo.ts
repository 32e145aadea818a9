/**
 * `vigil demo` (npm start): embedded broker, the runtime with the bundled model, and a replay of a real
 * recorded machine failure (NAB machine_temperature_system_failure) fast enough that the first known incident
 * shows within about a minute; alerts print as a subscriber sees them. Ctrl-C stops everything cleanly.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { formatTimestamp } from '@vigil/runtime/data/timestamp.ts';
import { startDemo } from '../demo/demo.ts';
import { createLiveConsole } from '../demo/console.ts';
import { readIncidents, type Incident } from '../demo/nab-labels.ts';
import { formatAlert, humanDuration, shortTime, type AlertMessage } from '../alerts/format.ts';
import { useColor } from './alerts.ts';
import { parsePort, parseSpeed, parseWhen, runProgram } from './options.ts';

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Defaults: the bundled model and data, replayed from the end of NAB's probationary period (the model trained before it). */
export const DEMO_DEFAULTS = {
  model: repo('models/machine_temperature'),
  data: repo('simulators/data/nab/machine_temperature_system_failure.csv'),
  labels: repo('simulators/data/nab/machine_temperature_system_failure.labels.json'),
  from: '2013-12-14 17:00:00',
  speed: 3000,
};

interface DemoCliOptions {
  model: string;
  data: string;
  labels?: string;
  from: string;
  to?: string;
  speed: number;
  broker?: string;
  port: number;
  dashboard: number | false;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
}

function incidentNote(a: AlertMessage, incidents: Incident[]): string {
  const t = a.tsLast ?? Date.parse(a.windowEnd ?? '');
  const i = incidents.findIndex((x) => t >= x.start && t <= x.end);
  // Named by its time, as the banner lists them (a number counted the one inside the training rows too: "incident 2"
  // for the first replayed).
  if (i >= 0) return `  <- the NAB-labelled failure of ${shortTime(incidents[i].at)}`;
  return a.type === 'open' ? '  (outside NAB labelled windows)' : '';
}

/** Entry of `vigil demo`. */
export function run(args: string[]): Promise<number> {
  const program = new Command('vigil demo')
    .description('run the whole pipeline locally: embedded MQTT broker, the runtime with the bundled model, a replay of a recorded machine failure, live alerts')
    .addOption(new Option('--model <path>', 'model (NAME.onnx + NAME.json) without extension').default(DEMO_DEFAULTS.model, 'models/machine_temperature'))
    .addOption(new Option('--data <csv>', 'recorded data to replay (one sensor)').default(DEMO_DEFAULTS.data, 'simulators/data/nab/machine_temperature_system_failure.csv'))
    .addOption(new Option('--labels <json>', 'NAB label windows of the data, to mark alerts that hit a known incident').default(undefined, 'the .labels.json beside --data, when there is one'))
    .option('--from <ts>', 'replay from this timestamp (the bundled model trained on data before it)', DEMO_DEFAULTS.from)
    .option('--to <ts>', 'replay up to this timestamp (default: the end)')
    .option('--speed <x>', "recorded time per wall time (3000: five minutes of data every 0.1 s), or 'max'", parseSpeed, DEMO_DEFAULTS.speed)
    .option('--broker <url>', 'use this broker (e.g. Mosquitto) instead of the embedded one')
    .option('--port <n>', 'embedded broker port (0 = any free port)', parsePort, 0)
    .option('--dashboard <port>', 'live dashboard port (0 = any free port)', parsePort, 0)
    .option('--no-dashboard', 'no dashboard')
    .addOption(new Option('--log-level <level>', 'runtime log level (alerts are printed either way)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('warn'))
    .action(async (o: DemoCliOptions) => {
      if (!existsSync(`${o.model}.onnx`) || !existsSync(`${o.model}.json`)) {
        throw new Error(`model ${o.model}.onnx/.json not found; expected the bundled model (regenerate it with: bash models/build-demo-model.sh)`);
      }
      // Another recording's labels must not mark this one: by default, only the file beside --data.
      const labels = o.labels ?? o.data.replace(/\.csv$/i, '.labels.json');
      const incidents = existsSync(labels) ? readIncidents(labels) : [];
      const color = useColor(true);
      const c = color ? { b: '\x1b[1m', d: '\x1b[2m', r: '\x1b[0m' } : { b: '', d: '', r: '' };
      const out = createLiveConsole();
      let open = 0, opened = 0;
      const caught = new Set<number>();
      let lastStatus = 0;
      let reached = -Infinity;
      const demo = await startDemo({
        model: o.model, data: o.data, from: o.from, to: o.to, speed: o.speed,
        brokerUrl: o.broker, port: o.port, dashboardPort: o.dashboard === false ? null : o.dashboard, incidents,
        logLevel: o.logLevel,
        onAlert(a) {
          if (a.type === 'open') { open++; opened++; } else if (a.type === 'close') open = Math.max(0, open - 1);
          const t = a.tsLast ?? 0;
          incidents.forEach((x, i) => { if (a.type === 'open' && t >= x.start && t <= x.end) caught.add(i); });
          // A replay of 2013's data is late by construction: not marked.
          out.line(`${formatAlert(a, { color, late: false })}${c.d}${incidentNote(a, incidents)}${c.r}`);
        },
        onProgress(p) {
          reached = p.recordedTs;
          const now = Date.now();
          if (now - lastStatus < 100 && p.sent < p.total) return;
          lastStatus = now;
          out.status(`${c.d}replaying ${formatTimestamp(p.recordedTs)}  ${p.sent}/${p.total} readings  ${o.speed === Infinity ? 'max' : `${o.speed}x`}  ${open} alert(s) open${c.r}`);
        },
      });
      const from = await parseWhen(o.from);
      const eta = (t: number) => (o.speed === Infinity ? '' : ` (in ~${humanDuration((t - from) / o.speed)})`);
      const until = o.to ? await parseWhen(o.to) : Infinity;
      const upcoming = incidents.filter((x) => x.at >= from && x.at < until).map((x) => `${shortTime(x.at)}${eta(x.at)}`);
      const lines = [
        `${c.b}vigil demo${c.r}: a real machine failure, replayed, watched live`,
        `  broker     ${demo.brokerUrl}${demo.embeddedBroker ? ' (embedded aedes)' : ''}`,
        `  runtime    model ${demo.model.name}@${demo.model.version} (window ${demo.model.window} x ${demo.model.channels.join(', ')}), inference ${demo.provider}`,
        `  replay     ${demo.sensor}: ${demo.readings} readings from ${o.from} at ${o.speed === Infinity ? 'max speed' : `${o.speed}x`} (NAB realKnownCause, MIT)`,
        upcoming.length ? `  incidents  NAB-labelled failures ahead: ${upcoming.join(', ')}` : '',
        demo.dashboardUrl ? `  dashboard  ${demo.dashboardUrl}` : '',
        `  alerts     on vigil/alerts/# (also: vigil alerts --broker ${demo.brokerUrl})`,
        `${c.d}Ctrl-C stops everything.${c.r}`,
        '',
      ].filter((l) => l !== '');
      for (const l of lines) out.line(l);
      const interrupted = new Promise<'signal'>((resolve) => {
        process.once('SIGINT', () => resolve('signal'));
        process.once('SIGTERM', () => resolve('signal'));
      });
      const how = await Promise.race([demo.replayDone.then(() => 'done' as const), interrupted]);
      out.clear();
      out.line(how === 'done' ? 'replay finished; stopping' : 'stopping');
      await demo.stop();
      const st = demo.stats();
      out.line(`runtime: ${st.readings} readings, ${st.scored} windows scored, ${st.dropped} dropped by back-pressure, ${st.rejected} messages rejected`);
      const hit = incidents.filter((x) => x.at >= from && x.at <= reached).length;
      out.line(`${opened} alert(s) opened; ${caught.size} of ${hit} NAB-labelled incident(s) replayed so far caught (replayed up to ${formatTimestamp(reached)}).`);
    });
  return runProgram(program, args);
}
