/**
 * QoS 1 acknowledgements: what one socket write per intake turn (runtime/mqtt/writes-per-turn.ts, on in `vigil run`)
 * saves against mqtt.js's one PUBACK write per message. A QoS 1 mqtt.js subscriber in this process receives N
 * messages that `mosquitto_pub -l -q 1` (another process) publishes back to back through the bench Mosquitto; per
 * round: the subscriber's socket writes and this process's CPU time per message, with and without writesPerTurn,
 * alternating, ROUNDS times. Ratios are within one run. Writes bench/results/qos1-acks.json.
 *
 *   node bin/run-ts.mjs bench/qos1-acks.ts [--messages 20000] [--rounds 3] [--quick]
 */
import { spawn } from 'node:child_process';
import mqtt from 'mqtt';
import { writesPerTurn } from '../runtime/mqtt/writes-per-turn.ts';
import { startBroker } from './lib/broker.ts';
import { cliArg } from './lib/child.ts';
import { machineInfo, writeBenchResult } from './lib/result.ts';
import { median } from './lib/stats.ts';
import { countSocketWrites } from '@vigil/fixtures/socket-writes.ts';

const QUICK = process.argv.includes('--quick');
const N = Number(cliArg('messages', QUICK ? '10000' : '20000'));
const ROUNDS = Number(cliArg('rounds', QUICK ? '2' : '3'));

interface Round {
  mode: 'per message (mqtt.js)' | 'per turn (vigil run)';
  round: number;
  writes: number;
  cpuUsPerMessage: number;
  seconds: number;
}

async function receive(url: string, port: number, mode: Round['mode'], round: number): Promise<Round> {
  const topic = `acks/${round}/${mode === 'per turn (vigil run)' ? 'turn' : 'msg'}`;
  const client = await mqtt.connectAsync(url, { clientId: `acks-${process.pid}-${round}-${topic.length}`, writeCache: false });
  (client.stream as unknown as { setNoDelay(v: boolean): void }).setNoDelay(true);
  const stop = mode === 'per turn (vigil run)' ? writesPerTurn(client) : () => {};
  const writes = countSocketWrites(client);
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  client.on('message', (_t, p) => {
    JSON.parse(p.toString());
    if (++received === N) done();
  });
  await client.subscribeAsync(topic, { qos: 1 });
  writes.reset();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const pub = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-q', '1', '-l', '--nodelay'], { stdio: ['pipe', 'ignore', 'inherit'] });
  pub.stdin.end(`${Array.from({ length: N }, (_, i) => `{"ts":${1_700_000_000_000 + i},"a":${i % 97},"b":${(i * 7) % 13}}`).join('\n')}\n`);
  await all;
  await new Promise((r) => setImmediate(r));
  const c = process.cpuUsage(c0);
  const seconds = (performance.now() - t0) / 1000;
  const out: Round = { mode, round, writes: writes.count(), cpuUsPerMessage: (c.user + c.system) / N, seconds };
  stop();
  await client.endAsync();
  await new Promise((r) => pub.exitCode !== null ? r(undefined) : pub.once('exit', r));
  process.stderr.write(`qos1-acks: ${mode} #${round}: ${out.writes} writes for ${N} messages, ${out.cpuUsPerMessage.toFixed(2)} us CPU per message, ${seconds.toFixed(2)} s\n`);
  return out;
}

async function main(): Promise<void> {
  const started = new Date();
  const broker = await startBroker();
  const rounds: Round[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    rounds.push(await receive(broker.url, broker.port, 'per message (mqtt.js)', r));
    rounds.push(await receive(broker.url, broker.port, 'per turn (vigil run)', r));
  }
  await broker.stop();
  const modes: Round['mode'][] = ['per message (mqtt.js)', 'per turn (vigil run)'];
  const med = (m: Round['mode'], k: 'writes' | 'cpuUsPerMessage' | 'seconds') => median(rounds.filter((x) => x.mode === m).map((x) => x[k]));
  const ratios = Array.from({ length: ROUNDS }, (_, i) => rounds[2 * i + 1].cpuUsPerMessage / rounds[2 * i].cpuUsPerMessage);
  writeBenchResult({
    name: 'qos1-acks',
    title: `QoS 1 PUBACKs: one socket write per intake turn vs one per message (${N} messages, mosquitto_pub -l -q 1)`,
    machine: machineInfo(),
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    notes: [
      'Subscriber: mqtt.js in this process (Nagle off, writeCache off as vigil run), JSON.parse per message; publisher: mosquitto_pub -l -q 1 --nodelay in its own process; bench Mosquitto with TCP_NODELAY.',
      `CPU per message (per turn / per message), per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; rounds alternate the two modes, so the ratios are within one run. Measured on a shared 2-core machine under load from other work.`,
    ],
    tables: [{ title: `median of ${ROUNDS} rounds`, columns: ['writes by', 'socket writes', 'CPU us / message', 'seconds to receive'], rows: modes.map((m) => [m, med(m, 'writes'), med(m, 'cpuUsPerMessage').toFixed(2), med(m, 'seconds').toFixed(2)]) }],
    figures: [{ id: 'qos1-acks-cpu', title: 'CPU per QoS 1 message received (us, median)', kind: 'bar', xLabel: 'writes', yLabel: 'us', categories: modes, series: [{ name: 'CPU us / message', points: modes.map((m, i) => [i, med(m, 'cpuUsPerMessage')]) }] }],
    data: { messages: N, rounds },
  });
}

await main();
process.exit(0);
