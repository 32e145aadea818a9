/** `vigil alerts`: the example alert subscriber; prints alert open/close events as they arrive. */
import { Command } from 'commander';
import { connectMqtt, endMqtt } from '../broker/connect.ts';
import { subscribeAlerts } from '../alerts/subscribe.ts';
import { formatAlert, formatInvalid, formatSilence, jsonLine, sentAt } from '../alerts/format.ts';
import { formatStatus, statusSentAt } from '../alerts/status.ts';
import { runProgram } from './options.ts';

/** Whether to colour output: a terminal, and the user did not opt out (NO_COLOR, --no-color). */
export function useColor(flag: boolean): boolean {
  return flag && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
}

/** This machine's time zone and its offset now: `Europe/Berlin, UTC+01:00`. */
export function localZone(now = new Date()): string {
  const off = -now.getTimezoneOffset();
  const hm = `${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}`;
  return `${Intl.DateTimeFormat().resolvedOptions().timeZone}, UTC${off < 0 ? '-' : '+'}${hm}`;
}

/** Entry of `vigil alerts`. */
export function run(args: string[]): Promise<number> {
  const program = new Command('vigil alerts')
    .description("subscribe to vigil alerts and print each open/close event, each sensor's invalid-reading signal, each sensor gone silent or back, and each gateway's status (online, offline), one line each")
    .option('--broker <url>', 'broker URL', 'mqtt://127.0.0.1:1883')
    .option('--topic <filter>', 'alert topic filter', 'vigil/alerts/#')
    .option('--status <filter>', 'gateway status topic filter (gateway.statusTopic with {gateway} as +): each gateway\'s state as it stands (retained) and as it changes', 'vigil/status/+')
    .option('--no-status', 'no gateway status lines')
    .option('--json', 'print each message\'s JSON as published, one per line (for piping; gateway status messages, vigil-status/1, too unless --no-status); a retained one gains "retained": true', false)
    .option('--no-color', 'no colours even on a terminal')
    .option('--username <u>', 'broker user name')
    .option('--password <p>', 'broker password (or set VIGIL_MQTT_PASSWORD)')
    .option('--ca <file>', "PEM file of the CA that signed the broker's certificate (mqtts://; the gateway's broker.tls.ca)")
    .action(async (o: { broker: string; topic: string; status: string | false; json: boolean; color: boolean; username?: string; password?: string; ca?: string }) => {
      const client = await connectMqtt(o.broker, { username: o.username, password: o.password ?? process.env.VIGIL_MQTT_PASSWORD, ca: o.ca });
      const color = useColor(o.color);
      const seen = new Set<string>();
      let count = 0;
      await subscribeAlerts(client, o.status ? [o.topic, o.status] : o.topic, {
        // A retained message (the topic's last, handed over at the subscription) is shown at the time it was sent, marked.
        onAlert(a, _t, retained) {
          count++;
          process.stdout.write(`${o.json ? jsonLine(a, retained) : formatAlert(a, { color, ...(retained ? { retained, now: sentAt(a) } : {}) })}\n`);
        },
        onSignal(p, _t, retained) {
          process.stdout.write(`${o.json ? jsonLine(p, retained) : formatInvalid(p, { color, ...(retained ? { retained, now: sentAt(p) } : {}) })}\n`);
        },
        onSilence(p, _t, retained) {
          process.stdout.write(`${o.json ? jsonLine(p, retained) : formatSilence(p, { color, ...(retained ? { retained, now: sentAt(p) } : {}) })}\n`);
        },
        onStatus(p, _t, retained) {
          process.stdout.write(`${o.json ? jsonLine(p, retained) : formatStatus(p, { color, ...(retained ? { retained, now: statusSentAt(p) } : {}) })}\n`);
        },
        onInvalid(topic, reason) {
          if (seen.has(reason)) return;
          seen.add(reason);
          process.stderr.write(`ignoring message on ${topic}: ${reason}\n`);
        },
      });
      process.stderr.write(`listening for alerts on ${o.broker} ${o.topic}${o.status ? ` and gateway status on ${o.status}` : ''} (Ctrl-C stops)\n`);
      if (!o.json) process.stderr.write(`times: a line starts with this machine's local time (${localZone()}), as do an invalid reading's 'at' (its arrival), a sensor's 'last at' and a gateway's 'since'; data times (an alert's window, 'data until') are UTC\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await endMqtt(client);
      process.stderr.write(`${count} alert event(s)\n`);
    });
  return runProgram(program, args);
}
