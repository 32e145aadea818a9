// The bare mqtt.js subscriber the shipped benches compare vigil with: plain node, Nagle off, subscribes to argv[3]
// on argv[2] (QoS argv[4], default 0), JSON-parses each message and counts it; prints "ready", then its count every 100 ms.
import mqtt from 'mqtt';

const client = await mqtt.connectAsync(process.argv[2], { clientId: `bare-${process.pid}` });
client.stream.setNoDelay?.(true);
let n = 0;
let sink = 0;
client.on('message', (_t, payload) => {
  const v = JSON.parse(payload.toString());
  sink += typeof v.ts === 'number' ? 1 : 0;
  n++;
});
await client.subscribeAsync(process.argv[3], { qos: Number(process.argv[4] ?? 0) });
process.stdout.write('ready\n');
setInterval(() => process.stdout.write(`${n} ${sink}\n`), 100);
