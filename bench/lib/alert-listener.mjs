// Listens to vigil's alerts (argv[3] on argv[2], Nagle off) and prints, per `open` alert, the wall clock at receipt
// (ms, fractional) and the alert's tsLast (the wall clock the publisher put in the reading): "ready" first.
import mqtt from 'mqtt';

const client = await mqtt.connectAsync(process.argv[2], { clientId: `alerts-${process.pid}` });
client.stream.setNoDelay?.(true);
client.on('message', (_t, payload) => {
  const now = performance.timeOrigin + performance.now();
  const a = JSON.parse(payload.toString());
  if (a.type === 'open') process.stdout.write(`${now.toFixed(3)} ${a.tsLast} ${a.sensor}\n`);
});
await client.subscribeAsync(process.argv[3], { qos: 1 });
process.stdout.write('ready\n');
