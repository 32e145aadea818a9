/** MQTT broker options shared by the `vigil fleet` subcommands (MQTT and JetStream modes). */
import type { Command } from 'commander';
import { BrokerSchema } from '../config/schema.ts';
import { addFlags } from '../cli/flags.ts';

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

/** Declare the broker options on a subcommand (from the flag table, spelt as in `vigil run`). */
export function withBroker(cmd: Command): Command {
  return addFlags(cmd, ['broker', 'username', 'ca', 'cert', 'key'], ['broker']);
}
