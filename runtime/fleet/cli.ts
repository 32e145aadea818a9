/**
 * `vigil fleet`: tools for running several `vigil run` workers on one sensor fleet (docs/fleet.md).
 *   vigil fleet partition pump-1 pump-2 --partitions 64     which partition and topic each sensor gets
 *   vigil fleet status --broker URL --group line-1           live members and who owns which partition
 *   vigil fleet bridge --broker URL --from ... --to ...      republish plain topics to partitioned ones
 *   vigil fleet <bridge|worker|status> --jetstream ...       the fleet on NATS JetStream (docs/fleet-jetstream.md)
 */
import { Command, InvalidArgumentError } from 'commander';
import { addFlags, flagOrDefault, flagValues } from '../cli/flags.ts';
import mqtt from 'mqtt';
import { clientOptions } from '../mqtt/connect.ts';
import { redactUrl } from '../util/redact-url.ts';
import { onShutdownSignals } from '../ops/shutdown.ts';
import { partitionBridge } from './bridge.ts';
import { brokerOf, withBroker, type BrokerFlags } from './broker-options.ts';
import { parseFleetCommand } from './parse-command.ts';
import { assignPartitions, partitionOf, partitionTopic } from './partition.ts';

const int = (min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number ${min}..${max}; got '${v}'`);
  return n;
};

interface Heartbeat {
  worker?: string;
  partitions?: number;
  at?: number;
  host?: string;
  pid?: number;
}

/** Entry of `vigil fleet`. */
export async function run(args: string[]): Promise<number> {
  // The JetStream mode loads nats.js only when asked for.
  if (args.includes('--jetstream')) return (await import('./jetstream/cli.ts')).run(args.filter((a) => a !== '--jetstream'));
  let code = 0;
  const fail = () => {
    code = 1;
  };
  const program = new Command('vigil fleet').description('share one sensor fleet among several vigil run workers (docs/fleet.md)').exitOverride();
  partitionCommand(program, fail);
  statusCommand(program, fail);
  bridgeCommand(program);
  return (await parseFleetCommand(program, args)) ?? code;
}

/** `vigil fleet partition`: the partition and topic of each sensor named. */
function partitionCommand(program: Command, fail: () => void): void {
  addFlags(program.command('partition'), ['partitions'])
    .description('print the partition and topic of each sensor')
    .argument('<sensor...>', 'sensor ids')
    .option('--template <t>', 'partitioned topic template', 'sensors/{partition}/{sensor}/data')
    .action((sensors: string[], opts: { template: string }, cmd: Command) => {
      const o = { ...opts, partitions: flagOrDefault(flagValues(cmd, ['partitions']), 'partitions') as number };
      for (const s of sensors) {
        try {
          process.stdout.write(`${s}\tp${partitionOf(s, o.partitions)}\t${partitionTopic(o.template, s, o.partitions)}\n`);
        } catch (err) {
          process.stderr.write(`${(err as Error).message}\n`);
          fail();
        }
      }
    });
}

/** `vigil fleet status`: a group's live members from their retained heartbeats, and the partitions each owns. */
function statusCommand(program: Command, fail: () => void): void {
  addFlags(withBroker(program.command('status')), ['group', 'fleetPrefix'], ['group'])
    .description('show the live members of a group (from their retained heartbeats) and the partitions each owns')
    .option('--wait <ms>', 'how long to collect heartbeats', int(100, 60_000), 1500)
    .action(async (opts: { broker: string; group: string; wait: number }, cmd: Command) => {
      const o = { ...opts, prefix: flagOrDefault(flagValues(cmd, ['fleetPrefix']), 'fleetPrefix') as string };
      const members = await collectHeartbeats(o);
      if (members.size === 0) {
        process.stdout.write(`no members in group '${o.group}' on ${redactUrl(o.broker)}\n`);
        return;
      }
      const counts = new Set([...members.values()].map((m) => m.partitions));
      const partitions = [...counts][0] ?? 0;
      if (counts.size > 1) {
        process.stdout.write(`WARNING: members disagree on the partition count (${[...counts].join(', ')}); sensors will be split\n`);
        fail();
      }
      const owners = assignPartitions([...members.keys()].sort(), partitions);
      process.stdout.write(`group ${o.group}: ${members.size} member(s), ${partitions} partitions\n`);
      for (const [id, hb] of [...members].sort(([a], [b]) => a.localeCompare(b))) {
        const age = hb.at ? `${((Date.now() - hb.at) / 1000).toFixed(1)} s ago` : 'unknown age';
        const own = owners.get(id) ?? [];
        process.stdout.write(`  ${id.padEnd(24)} ${String(own.length).padStart(4)} partitions  heartbeat ${age}  ${hb.host ?? '?'} pid ${hb.pid ?? '?'}\n      ${own.map((k) => `p${k}`).join(' ')}\n`);
      }
    });
}

/** The retained heartbeats of a group's members, by member id, collected for `wait` ms (with the broker flags' credentials and TLS). */
async function collectHeartbeats(o: BrokerFlags & { group: string; wait: number; prefix: string }): Promise<Map<string, Heartbeat>> {
  const client = await mqtt.connectAsync(o.broker, { ...clientOptions(brokerOf(o)), reconnectPeriod: 0 });
  const members = new Map<string, Heartbeat>();
  const base = `${o.prefix}/${o.group}/members`;
  client.on('message', (t, p) => {
    if (!p.length) return;
    try {
      members.set(t.slice(base.length + 1), JSON.parse(p.toString('utf8')) as Heartbeat);
    } catch {
      // not a heartbeat
    }
  });
  await client.subscribeAsync(`${base}/+`, { qos: 1 });
  await new Promise((r) => setTimeout(r, o.wait));
  await client.endAsync();
  return members;
}

/** `vigil fleet bridge`: republish plain sensor topics to partitioned ones until Ctrl-C. */
function bridgeCommand(program: Command): void {
  addFlags(withBroker(program.command('bridge')), ['partitions'])
    .description('republish plain sensor topics to partitioned topics, for publishers that cannot hash')
    .option('--from <template>', 'incoming topic template with {sensor}', 'sensors/{sensor}/data')
    .option('--to <template>', 'outgoing topic template with {partition} and {sensor}', 'sensors/{partition}/{sensor}/data')
    .option('--qos <0|1>', 'QoS in and out', int(0, 1), 1)
    .option('--share <group>', 'subscribe through the MQTT 5 shared subscription $share/<group>/... (several bridges)')
    .action(async (opts: { broker: string; from: string; to: string; qos: 0 | 1; share?: string }, cmd: Command) => {
      const o = { ...opts, partitions: flagOrDefault(flagValues(cmd, ['partitions']), 'partitions') as number };
      const cfg = brokerOf(o);
      const client = await mqtt.connectAsync(o.broker, { ...clientOptions(cfg), ...(o.share ? { protocolVersion: 5 } : {}) });
      const bridge = partitionBridge(client, { from: o.from, to: o.to, partitions: o.partitions, qos: o.qos, ...(o.share ? { filter: `$share/${o.share}/${o.from.replace(/\{[^}]+\}/g, '+')}` } : {}) });
      await bridge.ready;
      process.stderr.write(`bridging ${o.from} -> ${o.to} (${o.partitions} partitions, QoS ${o.qos}); Ctrl-C stops\n`);
      const timer = setInterval(() => process.stderr.write(`forwarded ${bridge.stats.forwarded}, refused ${bridge.stats.refused}\n`), 10_000);
      await new Promise<void>((resolve) => {
        const dispose = onShutdownSignals(async () => {
          dispose();
          resolve();
        });
      });
      clearInterval(timer);
      bridge.stop();
      await client.endAsync();
    });
}
