/**
 * `vigil run`: the live detector. Options come from a YAML/JSON file (`--config`), command-line flags lay over
 * it, and defaults fill the rest, so `vigil run --model models/NAME --broker mqtt://127.0.0.1:1883 --topic
 * 'sensors/+/data'` works without a file. Prints a short banner, then logs JSON lines to stderr.
 */
import { warnIfOpen } from '../ops/http-exposure.ts';
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { FlagKey } from '../config/flags.ts';
import { loadConfig, redactConfig } from '../config/load.ts';
import { threadNote } from '../inference/open-model.ts';
import { startingBar } from '../thresholds/starting-level.ts';
import { RunConfigSchema, type RunConfig } from '../config/schema.ts';
import { sharedAlertTopicNote } from '../config/alerts.ts';
import { gatewayTopic } from '../config/gateway.ts';
import { reservoirPath } from '../adapt/reservoir-file.ts';
import { statusTopic } from '../mqtt/gateway-status.ts';
import { startRuntime, type RuntimeHandle } from '../ops/runtime.ts';
import { onShutdownSignals } from '../ops/shutdown.ts';
import { createLogger } from '../ops/logger.ts';
import { loadDashboard } from './dashboard.ts';
import { checkPortFree, dashboardPortInUse } from '../util/listen.ts';
import { lockStateFile } from '../ops/state-lock.ts';
import { keptFileBeside } from '../util/kept-file.ts';
import { vigilVersion } from '../ops/version.ts';
import { loadModel } from '../model/load.ts';
import { clientOptions } from '../mqtt/connect.ts';
import { vigilCommand } from '../adapt/run-vigil.ts';
import { addFlags, flagValues } from './flags.ts';

export { startRuntime, type RuntimeHandle } from '../ops/runtime.ts';

/**
 * Exit status of a config or model that cannot work (sysexits' EX_CONFIG): systemd restarts vigil on other failures (a
 * broker away) but not on this one (docs/vigil.service RestartPreventExitStatus), which had it fail every 5 s for ever.
 */
export const EXIT_CONFIG = 78;

/** The options of `vigil run`, in help order; all but --config and --print-config set a config key. */
export const RUN_FLAGS = [
  'config', 'model', 'broker', 'topics', 'codec', 'qos', 'providers', 'threshold', 'smoothing', 'alertOpen', 'alertClose', 'alertCritical',
  'cooldown', 'gapReset', 'metricsPort', 'state', 'clientId', 'gateway', 'dashboard', 'lowMemory', 'logLevel', 'printConfig',
] as const satisfies readonly FlagKey[];

/** The banner: where data comes from, which model and provider judge it, where alerts go. */
export function banner(cfg: RunConfig, h: RuntimeHandle, dashboardUrl?: string): string {
  const card = h.card();
  const broker = redactConfig(cfg).broker.url;
  const status = statusTopic(cfg.gateway);
  const lines = [
    `vigil run  ${card.name}@${card.version}  window ${card.window} x ${card.channels.length} [${card.channels.join(', ')}]`,
    `  version    ${vigilVersion()}, node ${process.version}`,
    `  broker     ${broker}  (MQTT ${cfg.broker.protocolVersion === 5 ? '5' : '3.1.1'}, ${cfg.broker.clean ? 'clean' : 'persistent'} session)`,
    `  topics     ${cfg.source.topics.join('  ')}  (${cfg.source.codec.kind}, QoS ${cfg.source.qos})`,
    `  provider   ${h.provider()}${threadNote({ provider: h.provider() }, cfg.inference)}${h.providerFailures.length ? `  (fell back: ${h.providerFailures.map((f) => `${f.provider}: ${f.reason}`).join('; ')})` : ''}`,
    `  threshold  ${startingBar(cfg.threshold, card).text}  batch ${cfg.batch.size} / ${cfg.batch.maxWaitMs} ms`,
    `  gateway    ${cfg.gateway.id}${status ? `  status ${status} (retained online/offline)` : ''}`,
    `  alerts     ${gatewayTopic(cfg.alerts.topic, cfg.gateway)} (QoS ${cfg.alerts.qos}${cfg.alerts.retain ? ', open/close retained' : ''})${cfg.alerts.webhook ? ` + webhook ${redactConfig(cfg).alerts.webhook!.url}` : ''}`,
  ];
  const shared = sharedAlertTopicNote(cfg.alerts.topic);
  if (shared) lines.push(`             ${shared}`);
  if (h.opsUrl) lines.push(`  ops        ${h.opsUrl}/metrics  ${h.opsUrl}/health`);
  if (dashboardUrl) lines.push(`  dashboard  ${dashboardUrl}${cfg.http.token ? '  (token required: open it once as ?token=TOKEN)' : ''}`);
  if (cfg.fleet && h.fleet) lines.push(`  fleet      group ${cfg.fleet.group} as ${h.fleet.workerId}, ${cfg.fleet.partitions} partitions (owners logged as 'fleet assignment'; vigil fleet status)`);
  if (cfg.adapt.enabled) lines.push(`  adapt      on: ${adaptText(cfg.adapt, card.name)} (decisions logged as 'adaptation ...', /health adaptation; docs/adapt.md)`);
  // Where, whatever folder vigil was started in (the default is relative: vigil-state.json in it).
  if (cfg.state.file) lines.push(`  state      ${resolve(cfg.state.file)} (every ${Math.round(cfg.state.intervalMs / 1000)} s and on exit; --state FILE or off)`);
  lines.push('  Ctrl-C stops (drains, saves state, disconnects)');
  return `${lines.join('\n')}\n`;
}

/** Adaptation's schedule and reservoir file (`{name}` filled in: the file to look for) in a few words, for the banner. */
function adaptText(a: RunConfig['adapt'], model: string): string {
  const every = a.everyMs >= 3_600_000 ? `${+(a.everyMs / 3_600_000).toFixed(1)} h` : `${Math.round(a.everyMs / 1000)} s`;
  return `${a.trigger.kind === 'drift' ? 'when scores drift, ' : ''}at most every ${every} once ${a.minNewWindows} new windows are in its reservoir ${reservoirPath(a.reservoir.file, model)}`;
}

/** Entry of `vigil run`. */
export async function run(args: string[]): Promise<number> {
  const program = addFlags(
    new Command('vigil run').description('run the live detector: MQTT in, windows, micro-batched ONNX inference, thresholds, alerts out'),
    RUN_FLAGS,
  )
    .addHelpText(
      'after',
      `
Examples:
  vigil run --model models/machine_temperature --broker mqtt://127.0.0.1:1883 --topic 'sensors/+/data'
  vigil run --model models/machine_temperature --broker mqtt://127.0.0.1:1883 --topic 'plant/{site}/{device}/telemetry'
  vigil run --config vigil.yaml
  vigil run --config vigil.yaml --print-config        # every setting with its default, then exit
  vigil run --config vigil.yaml --providers webgpu,cpu --log-level debug

Config file (YAML or JSON) sections: ${Object.keys(RunConfigSchema.shape).join(', ')}.
--print-config shows every key with its value; docs/run.md explains them (adapt: docs/adapt.md). Only model, broker.url and source.topics are required.
The broker user and password may come from VIGIL_MQTT_USERNAME / VIGIL_MQTT_PASSWORD instead of the file, and the
token of /metrics and the dashboard (http.token) from VIGIL_HTTP_TOKEN.`,
    )
    .exitOverride();
  program.parse(args, { from: 'user' });
  const flags = flagValues(program, RUN_FLAGS);
  const { config, printConfig, ...overrides } = flags;
  let cfg: RunConfig;
  try {
    cfg = loadConfig(config as string | undefined, overrides);
    // The model too, before anything starts: a wrong path is no reason to try again in 5 s (docs/vigil.service); the
    // broker's TLS files and credentials, as the connection reads them; adaptation's command, which a gateway install
    // without the training package does not have.
    if (!printConfig) {
      loadModel(cfg.model);
      clientOptions(cfg.broker);
      if (cfg.adapt.enabled) vigilCommand(cfg.adapt.command);
    }
  } catch (err) {
    process.stderr.write(`vigil run: ${(err as Error).message}\n`);
    return EXIT_CONFIG;
  }
  if (printConfig) {
    const { printableConfig } = await import('./print-config.ts');
    const { text, warnings, cautions } = printableConfig(cfg);
    process.stdout.write(text);
    for (const w of [...warnings, ...cautions]) process.stderr.write(`vigil run: warning: ${w}\n`);
    // Exit 1 only for what would stop vigil run at start: it starts with topic warnings, as the log says then.
    return warnings.length ? 1 : 0;
  }
  // The dashboard is its own package: loaded before anything starts, so a gateway without it stops at once, saying so.
  const dashboard = cfg.dashboard.port !== null ? await loadDashboard('leave dashboard.port unset (no --dashboard)') : undefined;
  // Its port checked now: served only once the runtime runs, a port in use found then had taken a running twin's
  // broker session first (a probe: the twin logged "broker unreachable").
  // A twin of a running vigil is told so first, not that its dashboard port is in use (a probe): the state lock probed
  // (taken and let go; the runtime takes it for good as it starts).
  // One logger for the runtime and the signals, so a signal's line is a JSON line among the others (log shippers parse
  // every line; a plain-text "SIGTERM: stopping" among them was one they could not).
  const log = createLogger(cfg.log.level);
  if (cfg.dashboard.port !== null) {
    // Its own metrics server would hold it: said as that, not as a port some other process holds (a probe). Two
    // addresses of their own may share a port.
    const anyAddress = (h: string) => h === '0.0.0.0' || h === '::';
    const sameAddress = cfg.metrics.host === cfg.dashboard.host || anyAddress(cfg.metrics.host) || anyAddress(cfg.dashboard.host);
    if (cfg.dashboard.port !== 0 && cfg.dashboard.port === cfg.metrics.port && sameAddress) {
      throw new Error(`dashboard.port ${cfg.dashboard.port} is metrics.port too (/metrics and /health are served there); give the dashboard a port of its own`);
    }
    // With the logger: a stale lock taken over here is said, as the runtime's own take would have (a review).
    // A folder it cannot write is said once, by the runtime's own take.
    if (cfg.state.file) lockStateFile(cfg.state.file, log, { unwritable: 'quiet' }).release();
    await checkPortFree(cfg.dashboard.port, cfg.dashboard.host, dashboardPortInUse(cfg.dashboard.port));
  }
  // Signals are handled from here on, so a Ctrl-C while starting (loading the model, connecting) is not lost:
  // the runtime finishes starting and stops at once.
  let handle: RuntimeHandle | undefined;
  let stopRequested = false;
  const stopAll = async () => {
    stopRequested = true;
    if (!handle) return;
    await handle.stop();
  };
  const dispose = onShutdownSignals(stopAll, { log: (m) => log.warn({ event: 'signal' }, m) });
  // The dashboard is a part of the runtime, started before the intake reads anything: one started after startRuntime
  // missed the alerts of the backlog a persistent session's broker delivers at the start (a probe: an alert closed in
  // it was in no list). It stops after the intake has drained; one that cannot start (its port taken) stops the
  // runtime too, rather than leaving it up unannounced.
  let dashboardUrl: string | undefined;
  const attached =
    dashboard && cfg.dashboard.port !== null
      ? (h: RuntimeHandle) => {
          let close: (() => Promise<void>) | undefined;
          return {
            name: 'dashboard',
            async start() {
              const dash = await dashboard.startDashboard(dashboard.runtimeFeed(h), { port: cfg.dashboard.port!, host: cfg.dashboard.host, ...cfg.http, recording: keptFileBeside(cfg.state.file, 'dashboard.json'), log, onRefused: h.httpRefused('dashboard') });
              close = () => dash.close();
              warnIfOpen(log, 'dashboard', cfg.dashboard.host, dash.port, cfg.http.token);
              dashboardUrl = dash.url;
            },
            stop: () => close?.(),
          };
        }
      : undefined;
  try {
    handle = await startRuntime(cfg, { logger: log, attached });
  } catch (err) {
    dispose();
    throw err;
  }
  process.stdout.write(banner(cfg, handle, dashboardUrl));
  if (stopRequested) await stopAll();
  await handle.stopped;
  dispose();
  return 0;
}
