/**
 * The synthetic fleet at scale: can one process drive 10,000 pumps (8 channels, 1 reading/s each)?
 *  1. generate only: readings/s of the seeded generator, no MQTT;
 *  2. real time: 10,000 pumps at 1 Hz for a while, published to the broker, every message counted by a bare
 *     subscriber; reports achieved rate, schedule lag, CPU share and RSS of the simulating process;
 *  3. max: the same fleet as fast as the broker takes it.
 * Broker: Mosquitto on 127.0.0.1:1883 when it answers, else the embedded aedes (in this process: numbers then
 * include the broker's work). Writes bench/results/simulators.json. Options: USAGE below (`--help`).
 */
const USAGE = `node bin/run-ts.mjs bench/simulators.ts [options]   (writes bench/results/simulators.json)
  --quick            8 s real time, 5 rows at full speed (30 s, 20 rows)`;
if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
import { connect } from 'node:net';
import { machineInfo, writeBenchResult, type BenchResult } from './lib/result.ts';
import { generateSynthetic } from '../simulators/synthetic/generate.ts';
import { streamSynthetic } from '../simulators/synthetic/stream.ts';
import { SYNTHETIC_DEFAULTS, type SyntheticOptions } from '../simulators/synthetic/sensor.ts';
import { encodeReading } from '../simulators/payload/encode.ts';
import { createPublisher } from '../simulators/replay/publisher.ts';
import { connectMqtt, endMqtt } from '../simulators/broker/connect.ts';
import { startBroker } from '../simulators/broker/aedes.ts';

const quick = process.argv.includes('--quick');
const SENSORS = 10_000;
const REALTIME_S = quick ? 8 : 30;
const MAX_ROWS = quick ? 5 : 20;

const up = (): Promise<boolean> => new Promise((r) => {
  const s = connect(1883, '127.0.0.1');
  s.once('connect', () => { s.destroy(); r(true); });
  s.once('error', () => r(false));
});

/** The broker: Mosquitto on 127.0.0.1:1883 when it answers, else an embedded aedes in this process. */
async function broker() {
  const mosquitto = await up();
  const embedded = mosquitto ? undefined : await startBroker({ port: 0 });
  return { url: embedded?.url ?? 'mqtt://127.0.0.1:1883', name: mosquitto ? 'Mosquitto 127.0.0.1:1883' : 'embedded aedes (same process)', close: async () => embedded?.close() };
}

/** 1. The generator alone: readings/s of 1,000 pumps x 8 channels, no MQTT. */
function generatorRate(): { genRows: number; genRate: number } {
  const genRows = quick ? 200 : 1000;
  const g0 = performance.now();
  generateSynthetic({ sensors: 1000, channels: 8, rows: genRows, seed: 1 });
  return { genRows, genRate: (1000 * genRows) / ((performance.now() - g0) / 1000) };
}

/** A publisher of the fleet's readings and a bare subscriber that counts them, on `url`. */
async function fleetClients(url: string) {
  const topic = `vigil-bench-sim/${process.pid}/{sensor}`;
  const sub = await connectMqtt(url);
  const counter = { received: 0 };
  sub.on('message', () => { counter.received++; });
  await sub.subscribeAsync(`vigil-bench-sim/${process.pid}/#`, { qos: 0 });
  const pubClient = await connectMqtt(url);
  const pub = createPublisher(pubClient, { qos: 0 });
  const publish = async (sensor: string, ts: number, ch: string[], v: Float32Array) => {
    for (const m of encodeReading('json', topic, sensor, ts, ch, v)) await pub.publish(m.topic, m.payload);
  };
  const drainSub = async (expected: number) => {
    const t = Date.now();
    while (counter.received < expected && Date.now() - t < 10_000) await new Promise((r) => setTimeout(r, 20));
  };
  const end = async () => {
    await endMqtt(pubClient);
    await endMqtt(sub);
  };
  return { counter, pub, publish, drainSub, end };
}

/** 2. Real time: SENSORS pumps at 1 Hz for REALTIME_S s; achieved rate, schedule lag, CPU share and peak RSS. */
async function realTime(c: Awaited<ReturnType<typeof fleetClients>>, opts: SyntheticOptions) {
  const cpu0 = process.cpuUsage();
  const rt0 = performance.now();
  let rssMax = 0;
  const rssTimer = setInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage().rss); }, 250);
  const rt = await streamSynthetic({ options: opts, speed: 1, rows: REALTIME_S, publish: c.publish });
  await c.pub.drain();
  const rtSecs = (performance.now() - rt0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(rssTimer);
  await c.drainSub(rt.readings);
  return { rt, rtSecs, rtReceived: c.counter.received, cpuShare: (cpu.user + cpu.system) / 1e6 / rtSecs, rssMax };
}

/** 3. The same fleet (another seed) as fast as the broker takes it, MAX_ROWS rows. */
async function maxSpeed(c: Awaited<ReturnType<typeof fleetClients>>, opts: SyntheticOptions) {
  c.counter.received = 0;
  const mx0 = performance.now();
  const mx = await streamSynthetic({ options: { ...opts, seed: 8 }, speed: Infinity, rows: MAX_ROWS, publish: c.publish });
  await c.pub.drain();
  const mxSecs = (performance.now() - mx0) / 1000;
  await c.drainSub(mx.readings);
  return { mx, mxSecs, mxReceived: c.counter.received };
}

async function main(): Promise<void> {
  const started = Date.now();
  const b = await broker();
  const { genRows, genRate } = generatorRate();
  const clients = await fleetClients(b.url);
  const opts = { ...SYNTHETIC_DEFAULTS, sensors: SENSORS, channels: 8, seed: 7, start: Date.now() };
  const { rt, rtSecs, rtReceived, cpuShare, rssMax } = await realTime(clients, opts);
  const { mx, mxSecs, mxReceived } = await maxSpeed(clients, opts);
  await clients.end();
  await b.close();
  const brokerName = b.name;

  const rtRate = rt.readings / rtSecs;
  const mxRate = mx.readings / mxSecs;
  const result: BenchResult = {
    name: 'simulators',
    title: 'Synthetic fleet: 10,000 pumps x 8 channels from one process',
    machine: machineInfo(),
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    figures: [{
      id: 'fleet-rate', title: 'Readings/s from one simulator process (8-channel JSON payloads)', kind: 'bar',
      xLabel: 'mode', yLabel: 'readings/s', categories: ['generate only', 'real time (10k pumps @ 1 Hz)', 'max, to broker'],
      series: [{ name: 'readings/s', points: [[0, Math.round(genRate)], [1, Math.round(rtRate)], [2, Math.round(mxRate)]] }],
      caption: `real time needs 10,000 readings/s; it used ${(cpuShare * 100).toFixed(0)}% of one core. Broker: ${brokerName}.`,
    }],
    tables: [{
      title: 'Fleet runs',
      columns: ['mode', 'readings', 'seconds', 'readings/s', 'received by subscriber', 'max schedule lag ms', 'CPU (cores)', 'peak RSS MB'],
      rows: [
        ['generate only (1,000 pumps)', 1000 * genRows, '', Math.round(genRate), '', '', '', ''],
        ['real time, 10,000 pumps @ 1 Hz', rt.readings, rtSecs.toFixed(1), Math.round(rtRate), rtReceived, Math.round(rt.maxLagMs), cpuShare.toFixed(2), Math.round(rssMax / 2 ** 20)],
        ['max speed, 10,000 pumps', mx.readings, mxSecs.toFixed(1), Math.round(mxRate), mxReceived, '', '', ''],
      ],
    }],
    notes: [
      `Target: one process drives 10,000 sensors at 1 Hz: ${rtRate >= 0.98 * SENSORS && rtReceived === rt.readings ? 'met' : 'NOT met'} (${Math.round(rtRate)} readings/s, ${rtReceived}/${rt.readings} delivered).`,
      `Broker: ${brokerName}. The subscriber counting messages runs in the same process.`,
    ],
  };
  const file = writeBenchResult(result);
  process.stdout.write(`${result.notes!.join('\n')}\ngenerate ${Math.round(genRate)}/s, real time ${Math.round(rtRate)}/s (lag max ${Math.round(rt.maxLagMs)} ms, CPU ${cpuShare.toFixed(2)} cores, RSS ${Math.round(rssMax / 2 ** 20)} MB), max ${Math.round(mxRate)}/s -> ${file}\n`);
}

await main();
