/**
 * `vigil fleet <command> --jetstream`: the fleet on NATS JetStream (docs/fleet-jetstream.md).
 *   vigil fleet bridge --jetstream -b mqtt://broker -g line-1      MQTT -> readings stream, PUBACK after the store (pipelined)
 *   vigil fleet worker --jetstream -c vigil.yaml                   judge the partitions this worker leases
 *   vigil fleet status --jetstream -g line-1                       members, owners, backlog, hand-overs
 * Every flag maps to one config path (FLAGS); defaults live in the schema (fleet/jetstream/config.ts).
 */
import { Command, Option } from 'commander';
import mqtt from 'mqtt';
import { applyOverrides, readConfigFile } from '../../config/load.ts';
import { createLogger } from '../../ops/logger.ts';
import { onShutdownSignals } from '../../ops/shutdown.ts';
import { clientOptions, waitConnected } from '../../mqtt/connect.ts';
import { brokerOf, withBroker, type BrokerFlags } from '../broker-options.ts';
import { parseFleetCommand } from '../parse-command.ts';
import { FleetSchema, type FleetConfig } from '../config.ts';
import { workerRunConfig } from './worker-config.ts';
import { jetStreamBridge } from './bridge.ts';
import { openFleetNats } from './streams.ts';
import { fleetStatus, formatStatus } from './status.ts';
import { startJetStreamWorker } from './worker.ts';

/** Flag -> config path under `fleet`; numbers are parsed as numbers, the schema checks ranges. */
const FLAGS: { flag: string; key: string; path: string[]; help: string; number?: true }[] = [
  { flag: '--nats <urls>', key: 'nats', path: ['jetstream', 'servers'], help: 'NATS servers (fleet.jetstream.servers)' },
  { flag: '-g, --group <name>', key: 'group', path: ['group'], help: 'fleet group (fleet.group)' },
  { flag: '-p, --partitions <n>', key: 'partitions', path: ['partitions'], help: 'partition count (fleet.partitions)', number: true },
  { flag: '--worker-id <id>', key: 'workerId', path: ['workerId'], help: 'this worker id (fleet.workerId)' },
  { flag: '--prefix <token>', key: 'prefix', path: ['jetstream', 'prefix'], help: 'subject prefix (fleet.jetstream.prefix)' },
  { flag: '--stream <name>', key: 'stream', path: ['jetstream', 'stream'], help: 'readings stream (fleet.jetstream.stream)' },
  { flag: '--results <name>', key: 'results', path: ['jetstream', 'results'], help: 'verdicts/alerts stream (fleet.jetstream.results)' },
  { flag: '--max-age <ms>', key: 'maxAge', path: ['jetstream', 'maxAgeMs'], help: 'stream retention (fleet.jetstream.maxAgeMs)', number: true },
  { flag: '--lease <ms>', key: 'lease', path: ['jetstream', 'leaseMs'], help: 'lease TTL (fleet.jetstream.leaseMs)', number: true },
  { flag: '--renew <ms>', key: 'renew', path: ['jetstream', 'renewMs'], help: 'lease renewal (fleet.jetstream.renewMs)', number: true },
  { flag: '--window <n>', key: 'window', path: ['jetstream', 'bridgeWindow'], help: 'bridge: MQTT messages open at once, their stores in flight (fleet.jetstream.bridgeWindow)', number: true },
];

function withFleetFlags(cmd: Command): Command {
  for (const f of FLAGS) cmd.addOption(new Option(f.flag, f.help));
  return cmd.option('-c, --config <file>', 'config file (YAML or JSON) whose fleet section is used');
}

/** The raw `fleet` section: the config file's, with the flags given laid over it. */
function fleetRaw(o: Record<string, unknown>, file?: Record<string, unknown>): Record<string, unknown> {
  const fleet = structuredClone((file?.fleet as Record<string, unknown>) ?? {});
  fleet.jetstream ??= {};
  for (const f of FLAGS) {
    const v = o[f.key];
    if (v === undefined) continue;
    let at = fleet;
    for (const p of f.path.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[f.path[f.path.length - 1]] = f.number ? Number(v) : v;
  }
  return fleet;
}

function fleetOf(o: Record<string, unknown>): FleetConfig & { jetstream: NonNullable<FleetConfig['jetstream']> } {
  const r = FleetSchema.safeParse(fleetRaw(o, o.config ? readConfigFile(String(o.config)) : undefined));
  if (!r.success) throw new Error(`fleet: ${r.error.issues.map((i) => `${i.path.join('.') || '(section)'}: ${i.message}`).join('; ')}`);
  return r.data as FleetConfig & { jetstream: NonNullable<FleetConfig['jetstream']> };
}

const untilSignal = () =>
  new Promise<void>((resolve) => {
    const dispose = onShutdownSignals(async () => {
      dispose();
      resolve();
    });
  });

/** Entry of `vigil fleet ... --jetstream`. */
export async function run(args: string[]): Promise<number> {
  const program = new Command('vigil fleet (--jetstream)').description('the vigil fleet on NATS JetStream (docs/fleet-jetstream.md)').exitOverride();

  withFleetFlags(withBroker(program.command('bridge')))
    .description('MQTT -> JetStream: store each reading in the readings stream (partition in the subject), PUBACK after the store')
    .option('--from <template>', 'incoming topic template with {sensor}', 'sensors/{sensor}/data')
    .option('--client-id <id>', 'MQTT client id of the persistent session (default vigil-bridge-<group>)')
    .addOption(new Option('--mqtt-version <v>', 'MQTT protocol: 5 asks the broker for --window unacknowledged messages (Receive Maximum); 4 (3.1.1) leaves it to the broker (Mosquitto: max_inflight_messages, 20)').choices(['4', '5']))
    .action(async (o: Record<string, unknown> & BrokerFlags & { from: string; clientId?: string; mqttVersion?: '4' | '5' }) => {
      const fleet = fleetOf(o);
      const log = createLogger('info');
      const nats = await openFleetNats(fleet.jetstream, fleet.group, `vigil-bridge-${fleet.group}`, { noAsyncTraces: true });
      // A persistent session: what the broker queued while the bridge was down is delivered when it is back.
      const broker = brokerOf(o, { clientId: o.clientId ?? `vigil-bridge-${fleet.group}`, clean: false });
      const window = fleet.jetstream.bridgeWindow;
      const mqttOpts = clientOptions(o.mqttVersion ? { ...broker, protocolVersion: Number(o.mqttVersion) as 4 | 5 } : broker);
      if (mqttOpts.protocolVersion === 5) mqttOpts.properties = { ...mqttOpts.properties, receiveMaximum: window };
      // The bridge takes the PUBACKs over before the client connects: a persistent session's queue arrives right
      // behind the CONNACK, and mqtt.js would acknowledge what it handles before a hook put in after connecting.
      const client = mqtt.connect(o.broker, mqttOpts);
      const bridging = jetStreamBridge(client, nats.js, { from: o.from, partitions: fleet.partitions, names: nats.names, window, onError: (err, attempt) => log.warn({ err: err.message, attempt }, 'bridge: JetStream publish failed; holding the PUBACK and retrying') });
      try {
        await waitConnected(client, broker.connectTimeoutMs);
      } catch (err) {
        bridging.catch(() => {});
        await client.endAsync(true);
        await nats.close();
        throw err;
      }
      const bridge = await bridging;
      log.info({ from: o.from, to: nats.names.allReadings, stream: fleet.jetstream.stream, partitions: fleet.partitions, window, mqttVersion: mqttOpts.protocolVersion }, 'bridge: MQTT -> JetStream; Ctrl-C stops');
      const timer = setInterval(() => log.info(bridge.stats.toJSON(), 'bridge'), 10_000);
      await untilSignal();
      clearInterval(timer);
      await bridge.stop();
      log.info(bridge.stats.toJSON(), 'bridge stopped');
      await client.endAsync();
      await nats.close();
    });

  withFleetFlags(program.command('worker'))
    .description('judge the partitions this worker leases (the run config: model, threshold, window, alerts, fleet)')
    .option('-m, --model <path>', 'model (overrides the config)')
    .action(async (o: Record<string, unknown> & { model?: string }) => {
      const raw = o.config ? readConfigFile(String(o.config)) : {};
      const config = workerRunConfig({ ...applyOverrides(raw, { model: o.model }), fleet: fleetRaw(o, raw) });
      const log = createLogger(config.log.level);
      const worker = await startJetStreamWorker({ config, log, onOwned: (p) => log.info({ partitions: p }, 'fleet: owned partitions') });
      log.info({ worker: worker.workerId, group: config.fleet!.group }, 'fleet worker running; Ctrl-C stops');
      await untilSignal();
      await worker.stop();
    });

  withFleetFlags(program.command('status'))
    .description('members, the owner of each partition, readings pending per partition, hand-overs')
    .option('--json', 'print JSON')
    .action(async (o: Record<string, unknown> & { json?: boolean }) => {
      const fleet = fleetOf(o);
      const nats = await openFleetNats(fleet.jetstream, fleet.group, `vigil-status-${fleet.group}`);
      try {
        const s = await fleetStatus(nats, fleet.jetstream.stream, fleet.partitions);
        process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : formatStatus(fleet.group, s));
      } finally {
        await nats.close();
      }
    });

  return (await parseFleetCommand(program, args)) ?? 0;
}
