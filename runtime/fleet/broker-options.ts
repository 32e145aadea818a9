/** MQTT broker options shared by the `vigil fleet` subcommands (MQTT and JetStream modes). */
import type { Command } from 'commander';
import { BrokerSchema } from '../config/schema.ts';

/** Parsed broker options of a fleet subcommand. */
export interface BrokerFlags {
  broker: string;
  username?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

/** The broker config of the flags (password from VIGIL_MQTT_PASSWORD). */
export function brokerOf(o: BrokerFlags, extra: { clientId?: string; clean?: boolean } = {}) {
  return BrokerSchema.parse({
    url: o.broker,
    username: o.username,
    password: process.env.VIGIL_MQTT_PASSWORD,
    ...extra,
    ...(o.ca || o.cert || o.key ? { tls: { ca: o.ca, cert: o.cert, key: o.key } } : {}),
  });
}

/** Declare the broker options on a subcommand. */
export function withBroker(cmd: Command): Command {
  return cmd
    .requiredOption('-b, --broker <url>', 'broker URL: mqtt://, mqtts://, ws:// or wss://host:port')
    .option('--username <name>', 'broker user name (password from VIGIL_MQTT_PASSWORD)')
    .option('--ca <file>', 'CA certificate (PEM) for mqtts://')
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--key <file>', 'client key (PEM)');
}
