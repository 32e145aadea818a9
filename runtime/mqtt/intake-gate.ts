/**
 * QoS 1 back-pressure on the MQTT intake. While the windows waiting for inference take `pauseAtBytes` or more,
 * the client stops taking packets off its socket: mqtt.js awaits its `handleMessage` hook before it sends a
 * message's PUBACK and handles the next packet, so holding that callback holds the PUBACK of the message that
 * found the backlog full, leaves the rest of the socket unread, and the broker stops sending once its in-flight
 * window is full (Mosquitto: max_inflight_messages, 20) and keeps the rest queued for us. Under `resumeAtBytes`
 * the held message is acknowledged and reading goes on. A slow consumer thus gets back-pressure before anything
 * accepted is shed. Only QoS 1/2 deliveries are held: a QoS 0 message the broker would drop instead (it owes it
 * no delivery) goes on into the bounded queue, where any loss is counted.
 *
 * While paused the client still pings the broker every half keepalive (the broker would otherwise close a silent
 * connection), and its own keepalive timer is reset, because the broker's reply waits behind the held message;
 * liveness is checked normally again once reading resumes.
 *
 * At a stop (`stopTaking`) nothing more is acknowledged: the held message, and every QoS 1/2 delivery after it, is
 * passed on without its PUBACK (mqtt.js goes on to the next packet and sends none when the hook answers with an
 * error). The socket keeps being read, so the PUBACKs of the alerts vigil publishes while it drains still arrive,
 * but the broker, its in-flight window soon full of unacknowledged messages, sends no more and keeps the rest, and
 * redelivers those it sent to the next connection of the same persistent session. Acknowledging them instead would
 * tell the broker the whole queue was taken while the stopped pipeline reads none of it.
 */
import type { MqttClient } from 'mqtt';

/** Options of `intakeGate`. */
export interface IntakeGateOptions {
  /** Hold the intake when the waiting windows take this many bytes or more. */
  pauseAtBytes: number;
  /** Resume when they take this many bytes or fewer (< pauseAtBytes). */
  resumeAtBytes: number;
  /** Told when a pause starts and when it ends (with its length in ms). */
  onPause?: (bytes: number) => void;
  onResume?: (pausedMs: number) => void;
  /** Clock and timers (tests). */
  now?: () => number;
}

/** The gate: feed it the backlog's size; `close()` gives the client its own handler back. */
export interface IntakeGate {
  /** The waiting windows now take `bytes` (called whenever the backlog changes). */
  update(bytes: number): void;
  /** Whether reading is held now. */
  readonly paused: boolean;
  /** Pauses so far. */
  readonly pauses: number;
  /** Time spent paused so far, the current pause included (ms). */
  pausedMs(): number;
  /** Stop acknowledging anything (a stop): the held message and every later QoS 1/2 delivery stay unacknowledged. */
  stopTaking(): void;
  /** QoS 1/2 deliveries left unacknowledged since `stopTaking` (the held one included). */
  readonly leftUnacknowledged: number;
  close(): void;
}

/** Put QoS 1 back-pressure on `client`'s intake. */
export function intakeGate(client: MqttClient, opts: IntakeGateOptions): IntakeGate {
  const { pauseAtBytes, resumeAtBytes } = opts;
  if (!(pauseAtBytes > 0) || !(resumeAtBytes >= 0) || !(resumeAtBytes < pauseAtBytes)) {
    throw new Error(`intakeGate: expected 0 <= resumeAtBytes < pauseAtBytes, got ${resumeAtBytes} and ${pauseAtBytes}`);
  }
  const now = opts.now ?? (() => performance.now());
  const own = client.handleMessage;
  let bytes = 0;
  let held: ((err?: Error) => void) | undefined;
  let since = 0;
  let pauses = 0;
  let total = 0;
  let pinger: ReturnType<typeof setInterval> | undefined;
  let stopped = false;
  let left = 0;
  /** The hook's answer that sends no PUBACK (mqtt.js passes it to its packet loop, which ignores it and goes on). */
  const noAck = () => new Error('vigil is stopping: not acknowledged, the broker keeps it for the next session');

  const end = (): number => {
    if (pinger) clearInterval(pinger);
    pinger = undefined;
    const ms = now() - since;
    total += ms;
    held = undefined;
    return ms;
  };
  const release = () => {
    const callback = held!;
    const ms = end();
    opts.onResume?.(ms);
    callback();
  };
  // A connection that closes while held drops the held callback: the message was never acknowledged, so a
  // persistent session redelivers it, and the new connection reads afresh.
  const onClose = () => {
    if (!held) return;
    const ms = end();
    opts.onResume?.(ms);
  };

  client.handleMessage = (packet, callback) => {
    if (stopped && packet.qos) {
      left++;
      return callback(noAck());
    }
    if (bytes < pauseAtBytes || !packet.qos || held) return callback();
    held = callback;
    since = now();
    pauses++;
    const keepaliveMs = client.options.keepalive ? client.options.keepalive * 1000 : 0;
    if (keepaliveMs > 0) {
      pinger = setInterval(() => {
        if (!client.connected) return;
        client.sendPing();
        client.reschedulePing(true);
      }, keepaliveMs / 2);
      pinger.unref?.();
    }
    opts.onPause?.(bytes);
  };
  client.on('close', onClose);

  return {
    update(b) {
      bytes = b;
      if (held && !stopped && b <= resumeAtBytes) release();
    },
    stopTaking() {
      if (stopped) return;
      stopped = true;
      if (!held) return;
      const callback = held;
      const ms = end();
      opts.onResume?.(ms);
      left++;
      callback(noAck());
    },
    get leftUnacknowledged() {
      return left;
    },
    get paused() {
      return held !== undefined;
    },
    get pauses() {
      return pauses;
    },
    pausedMs: () => total + (held ? now() - since : 0),
    close() {
      client.off('close', onClose);
      // After a stop the client keeps refusing acknowledgements until it is ended.
      if (stopped) return;
      client.handleMessage = own;
      if (held) release();
    },
  };
}
