/**
 * `vigil run`: the live detector. Options come from a YAML/JSON file (`--config`), command-line flags lay over
 * it, and defaults fill the rest, so `vigil run --model models/NAME --broker mqtt://127.0.0.1:1883 --topic
 * 'sensors/+/data'` works without a file. Prints a short banner, then logs JSON lines to stderr.
 */
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, redactConfig, type ConfigOverrides } from '../config/load.ts';
import type { RunConfig } from '../config/schema.ts';
import { startRuntime, type RuntimeHandle } from '../ops/runtime.ts';
import { onShutdownSignals } from '../ops/shutdown.ts';

export { startRuntime, type RuntimeHandle } from '../ops/runtime.ts';

interface RunFlags {
  config?: string;
  model?: string;
  broker?: string;
  topic?: string[];
  codec?: string;
  qos?: string;
  provider?: string;
  threshold?: string;
  metricsPort?: string;
  state?: string;
  clientId?: string;
  logLevel?: string;
  printConfig?: boolean;
  lowMemory?: boolean;
  dashboard?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** A port number, or `off`. */
function parsePort(v: string): string {
  if (v === 'off' || (/^\d+$/.test(v) && Number(v) <= 65535)) return v;
  throw new InvalidArgumentError(`expected a port number 0-65535 (0 = any free port) or 'off'; got '${v}'`);
}

/** Flags -> config overrides. */
export function overridesOf(f: RunFlags): ConfigOverrides {
  const o: ConfigOverrides = {};
  if (f.model) o.model = f.model;
  if (f.broker) o.broker = f.broker;
  if (f.topic?.length) o.topics = f.topic;
  if (f.codec) o.codec = f.codec;
  if (f.qos !== undefined) o.qos = Number(f.qos) as 0 | 1;
  if (f.provider) o.providers = f.provider.split(',').map((s) => s.trim()).filter(Boolean);
  if (f.threshold) o.threshold = f.threshold;
  if (f.metricsPort !== undefined) o.metricsPort = f.metricsPort === 'off' ? null : Number(f.metricsPort);
  if (f.state !== undefined) o.stateFile = f.state === 'off' ? null : f.state;
  if (f.clientId) o.clientId = f.clientId;
  if (f.logLevel) o.logLevel = f.logLevel;
  return o;
}

/** The banner: where data comes from, which model and provider judge it, where alerts go. */
export function banner(cfg: RunConfig, h: RuntimeHandle, dashboardUrl?: string): string {
  const card = h.card();
  const broker = redactConfig(cfg).broker.url;
  const lines = [
    `vigil run  ${card.name}@${card.version}  window ${card.window} x ${card.channels.length} [${card.channels.join(', ')}]`,
    `  broker     ${broker}  (MQTT ${cfg.broker.protocolVersion === 5 ? '5' : '3.1.1'}, ${cfg.broker.clean ? 'clean' : 'persistent'} session)`,
    `  topics     ${cfg.source.topics.join('  ')}  (${cfg.source.codec.kind}, QoS ${cfg.source.qos})`,
    `  provider   ${h.provider()}${h.providerFailures.length ? `  (fell back: ${h.providerFailures.map((f) => `${f.provider}: ${f.reason}`).join('; ')})` : ''}`,
    `  threshold  ${JSON.stringify(cfg.threshold ?? card.threshold.default)}  batch ${cfg.batch.size} / ${cfg.batch.maxWaitMs} ms`,
    `  alerts     ${cfg.alerts.topic} (QoS ${cfg.alerts.qos})${cfg.alerts.webhook ? ` + webhook ${redactConfig(cfg).alerts.webhook!.url}` : ''}`,
  ];
  if (h.opsUrl) lines.push(`  ops        ${h.opsUrl}/metrics  ${h.opsUrl}/health`);
  if (dashboardUrl) lines.push(`  dashboard  ${dashboardUrl}${cfg.http.token ? '  (token required: open it once as ?token=TOKEN)' : ''}`);
  if (cfg.fleet && h.fleet) lines.push(`  fleet      group ${cfg.fleet.group} as ${h.fleet.workerId}, ${cfg.fleet.partitions} partitions (owners logged as 'fleet assignment'; vigil fleet status)`);
  if (cfg.state.file) lines.push(`  state      ${cfg.state.file} (every ${Math.round(cfg.state.intervalMs / 1000)} s and on exit)`);
  lines.push('  Ctrl-C stops (drains, saves state, disconnects)');
  return `${lines.join('\n')}\n`;
}

/** Entry of `vigil run`. */
export async function run(args: string[]): Promise<number> {
  const program = new Command('vigil run')
    .description('run the live detector: MQTT in, windows, micro-batched ONNX inference, thresholds, alerts out')
    .option('-c, --config <file>', 'config file (YAML or JSON); flags below override it')
    .option('-m, --model <path>', 'model path without extension (models/NAME), or NAME.json / NAME.onnx')
    .option('-b, --broker <url>', 'broker URL: mqtt://, mqtts://, ws:// or wss://host:port')
    .option('-t, --topic <template>', "topic filter or template, repeatable: 'sensors/+/data', 'plant/{site}/{device}/telemetry'", collect)
    .option('--codec <kind>', 'payload codec: json, json-array, csv, number, sparkplug (default json)')
    .option('--qos <0|1>', 'subscription QoS (default 0)', (v) => {
      if (v !== '0' && v !== '1') throw new InvalidArgumentError(`expected 0 or 1; got '${v}'`);
      return v;
    })
    .option('--provider <list>', 'execution providers in priority order, comma separated (default cpu,wasm), e.g. webgpu,cuda,cpu')
    .option('--threshold <kind>', "threshold kind (default: the model card's): static, quantile, ewma, mad, spot, dspot, telemanom")
    .option('--metrics-port <port>', "port of /metrics and /health (default 9464; 0 = any free port; 'off')", parsePort)
    .option('--state <file>', "threshold state file (default vigil-state.json; 'off' = none)")
    .option('--client-id <id>', 'MQTT client id (set one for a persistent session)')
    .option('--dashboard <port>', "serve the live dashboard on this port (default off; 0 = any free port)", parsePort)
    .option('--low-memory', 'trade some throughput for ~10 MB less RSS (V8 optimize-for-size; small gateways)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .option('--print-config', 'check the config and the model, print the resolved config as YAML (secrets hidden), and exit')
    .addHelpText(
      'after',
      `
Examples:
  vigil run --model models/machine_temperature --broker mqtt://127.0.0.1:1883 --topic 'sensors/+/data'
  vigil run --model models/machine_temperature --broker mqtt://127.0.0.1:1883 --topic 'plant/{site}/{device}/telemetry'
  vigil run --config vigil.yaml
  vigil run --config vigil.yaml --print-config        # every setting with its default, then exit
  vigil run --config vigil.yaml --provider webgpu,cpu --log-level debug

Config file (YAML or JSON) sections: model, broker, source, window, batch, inference, threshold, smoothing, alerts,
deadLetter, metrics, state, reload, fleet, dashboard, http, lowMemory, log. --print-config shows every key with its
value; docs/run.md explains them. Only model, broker.url and source.topics are required.
The broker user and password may come from VIGIL_MQTT_USERNAME / VIGIL_MQTT_PASSWORD instead of the file, and the
token of /metrics and the dashboard (http.token) from VIGIL_HTTP_TOKEN.`,
    )
    .exitOverride();
  program.parse(args, { from: 'user' });
  const flags = program.opts<RunFlags>();
  const cfg = loadConfig(flags.config, overridesOf(flags));
  if (flags.lowMemory) cfg.lowMemory = true;
  if (flags.dashboard !== undefined) cfg.dashboard.port = flags.dashboard === 'off' ? null : Number(flags.dashboard);
  if (flags.printConfig) {
    const { printableConfig } = await import('./print-config.ts');
    const { text, warnings } = printableConfig(cfg);
    process.stdout.write(text);
    for (const w of warnings) process.stderr.write(`vigil run: warning: ${w}\n`);
    return warnings.length ? 1 : 0;
  }
  // Signals are handled from here on, so a Ctrl-C while starting (loading the model, connecting) is not lost:
  // the runtime finishes starting and stops at once.
  let handle: RuntimeHandle | undefined;
  let closeDashboard: (() => Promise<void>) | undefined;
  let stopRequested = false;
  const stopAll = async () => {
    stopRequested = true;
    if (!handle) return;
    await closeDashboard?.();
    await handle.stop();
  };
  const dispose = onShutdownSignals(stopAll, { log: (m) => process.stderr.write(`vigil run: ${m}\n`) });
  try {
    handle = await startRuntime(cfg);
  } catch (err) {
    dispose();
    throw err;
  }
  let dashboardUrl: string | undefined;
  if (cfg.dashboard.port !== null && !stopRequested) {
    const { startDashboard } = await import('../dashboard/server.ts');
    const { runtimeFeed } = await import('../dashboard/runtime-feed.ts');
    const dash = await startDashboard(runtimeFeed(handle), { port: cfg.dashboard.port, host: cfg.dashboard.host, ...cfg.http });
    closeDashboard = () => dash.close();
    dashboardUrl = dash.url;
  }
  process.stdout.write(banner(cfg, handle, dashboardUrl));
  if (stopRequested) await stopAll();
  await handle.stopped;
  dispose();
  return 0;
}
