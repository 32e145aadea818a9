/**
 * The intake gives the event loop back every SLICE_MS of handling. mqtt.js handles the packets of a socket read one
 * per process.nextTick and reads on while its `handleMessage` hook answers at once, so a burst the broker has queued
 * for us (its socket buffers full) is handled in one run that nothing else interrupts: a probe's 94,000 refused
 * readings kept the dashboard's /api/status from answering for 11.6 s, and held the timers of inference batches,
 * health and the silent-sensor watch as long. Here the hook answers at once while the current run of intake is
 * younger than SLICE_MS, and otherwise on the next turn of the event loop (setImmediate), so HTTP requests, timers and
 * the alerts already published get their turn between slices. No message waits longer than one turn and none is
 * dropped: at QoS 0 the broker keeps sending into the socket (what it cannot hold it drops, as it would for any
 * slow reader); at QoS 1 the message's PUBACK leaves a turn later. Installed over the intake gate's hook
 * (intake-gate.ts), whose hold it leaves as it was.
 */
import type { MqttClient } from 'mqtt';

/** Longest run of intake handling between two turns of the event loop (ms). */
export const SLICE_MS = 20;

/** Options of `intakeTurns` (tests). */
export interface IntakeTurnsOptions {
  sliceMs?: number;
  now?: () => number;
}

/** Give the event loop a turn after each `sliceMs` of `client`'s intake; returns a function that stops doing so. */
export function intakeTurns(client: MqttClient, opts: IntakeTurnsOptions = {}): () => void {
  const sliceMs = opts.sliceMs ?? SLICE_MS;
  const now = opts.now ?? (() => performance.now());
  const inner = client.handleMessage;
  // When the current run of intake began; undefined once the event loop had a turn since.
  let since: number | undefined;
  const turned = () => (since = undefined);
  const hook: MqttClient['handleMessage'] = (packet, callback) => {
    const t = now();
    if (since === undefined) {
      since = t;
      setImmediate(turned);
    } else if (t - since >= sliceMs) {
      // Its connection gone meanwhile, the message is left as the gate leaves one it held: never acknowledged on
      // another connection, where its packet id may name another message. Closed but not yet replaced (the stream is
      // the same until the reconnect), mqtt.js would queue the PUBACK offline and send it on the next connection.
      const stream = client.stream;
      setImmediate(() => {
        if (client.stream === stream && client.connected) inner.call(client, packet, callback);
      });
      since = undefined;
      return;
    }
    inner.call(client, packet, callback);
  };
  client.handleMessage = hook;
  return () => {
    if (client.handleMessage === hook) client.handleMessage = inner;
  };
}
