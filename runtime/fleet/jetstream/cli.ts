/**
 * `vigil fleet <command> --jetstream`: the fleet on NATS JetStream (docs/fleet-jetstream.md).
 *   vigil fleet bridge --jetstream -b mqtt://broker -g line-1      MQTT -> readings stream, PUBACK after the store (pipelined)
 *   vigil fleet worker --jetstream -c vigil.yaml                   judge the partitions this worker leases
 *   vigil fleet status --jetstream -g line-1                       members, owners, backlog, hand-overs
 * Every flag is a row of the one flag table (runtime/config/flags.ts); defaults live in the schema (fleet/jetstream/config.ts).
 */
import { Command, Option } from 'commander';
import { addFlags, flagValues } from '../../cli/flags.ts';
import { setAt, type FlagKey } from '../../config/flags.ts';
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

/** The options of every JetStream subcommand, from the one flag table (runtime/config/flags.ts). */
const FLEET_FLAGS = ['nats', 'group', 'partitions', 'workerId', 'subjectPrefix', 'stream', 'results', 'maxAge', 'lease', 'renew', 'bridgeWindow', 'config'] as const satisfies readonly FlagKey[];

/** The raw config: the config file's (-c), the flags given laid over it, and a `fleet.jetstream` section (the mode). */
function rawConfig(cmd: Command, more: readonly FlagKey[] = []): Record<string, unknown> {
  const values = flagValues(cmd, [...FLEET_FLAGS, ...more]);
  const raw = applyOverrides(values.config ? readConfigFile(String(values.config)) : {}, values);
  return setAt(raw, 'fleet.jetstream', {}, true);
}

function fleetOf(cmd: Command): FleetConfig & { jetstream: NonNullable<FleetConfig['jetstream']> } {
  const r = FleetSchema.safeParse(rawConfig(cmd).fleet);
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

  addFlags(withBroker(program.command('bridge')), FLEET_FLAGS)
    .description('MQTT -> JetStream: store each reading in the readings stream (partition in the subject), PUBACK after the store')
    .option('--from <template>', 'incoming topic template with {sensor}', 'sensors/{sensor}/data')
    .option('--client-id <id>', 'MQTT client id of the persistent session (default vigil-bridge-<group>)')
    .addOption(new Option('--mqtt-version <v>', 'MQTT protocol: 5 asks the broker for --window unacknowledged messages (Receive Maximum); 4 (3.1.1) leaves it to the broker (Mosquitto: max_inflight_messages, 20)').choices(['4', '5']))
    .action(async (o: BrokerFlags & { from: string; clientId?: string; mqttVersion?: '4' | '5' }, cmd: Command) => {
      const fleet = fleetOf(cmd);
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

  addFlags(program.command('worker'), [...FLEET_FLAGS, 'model'])
    .description('judge the partitions this worker leases (the run config: model, threshold, window, alerts, fleet)')
    .action(async (_o: unknown, cmd: Command) => {
      const config = workerRunConfig(rawConfig(cmd, ['model']));
      const log = createLogger(config.log.level);
      const worker = await startJetStreamWorker({ config, log, onOwned: (p) => log.info({ partitions: p }, 'fleet: owned partitions') });
      log.info({ worker: worker.workerId, group: config.fleet!.group }, 'fleet worker running; Ctrl-C stops');
      await untilSignal();
      await worker.stop();
    });

  addFlags(program.command('status'), FLEET_FLAGS)
    .description('members, the owner of each partition, readings pending per partition, hand-overs')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const fleet = fleetOf(cmd);
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
