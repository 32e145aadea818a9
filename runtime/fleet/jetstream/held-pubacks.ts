/**
 * QoS 1 PUBACKs held until the caller says a message is safe, with many messages open at once, for the bridge.
 *
 * mqtt.js sends a message's PUBACK when its `handleMessage` hook calls back, and handles the next packet only then;
 * `vigil run` holds that callback to hold the broker (runtime/mqtt/intake-gate.ts), which allows one open message.
 * Here the callback is answered at once with an error, which makes mqtt.js (5.x, handlers/publish.js) skip the
 * PUBACK and go on to the next packet, and the PUBACK is written later by the client's own packet writer, once
 * `release`d. PUBACKs go out in the order the messages arrived (as MQTT 3.1.1 section 4.6 asks), so a message not
 * yet released holds back those behind it; only on the connection it came in on (a PUBACK after a reconnect could
 * name a packet id the broker gave to another message; the broker sends the unacknowledged ones again).
 *
 * The number of open messages is bounded by the runtime's intake gate: at `window` open messages it holds the
 * callback of the next one, so mqtt.js stops reading the socket and the broker keeps the rest queued (the gate also
 * keeps the connection alive meanwhile), until a quarter of the window is released.
 */
import type { IPublishPacket, MqttClient } from 'mqtt';
import { intakeGate } from '../../mqtt/intake-gate.ts';

/** The error handed to mqtt.js's callback so that it sends no PUBACK of its own. */
const PUBACK_TAKEN_OVER = Object.freeze(new Error('PUBACK held by vigil (sent once the message is stored)'));

/** One open message. */
export interface PubackTicket {
  readonly messageId: number | undefined;
  readonly qos: number;
  /** The connection (stream) it arrived on. */
  readonly via: unknown;
  released: boolean;
}

/** Held PUBACKs of a client. */
export interface HeldPubacks {
  /** The message of `ticket` is safe: its PUBACK may go (after those of the messages before it). */
  release(ticket: PubackTicket): void;
  /** Messages taken in and not yet acknowledged (or dropped). */
  readonly open: number;
  /** PUBACKs sent so far. */
  readonly acked: number;
  /** Whether the intake is held because the window is full. */
  readonly paused: boolean;
  /**
   * Take no more: later messages are neither handed on nor acknowledged (the broker sends them again to the next
   * session); released ones still get their PUBACK while the connection lasts.
   */
  close(): void;
}

type SendPacket = (packet: { cmd: 'puback'; messageId: number }, cb?: () => void) => void;

/** Take over `client`'s QoS 1 PUBACKs: each message goes to `onMessage` with a ticket to `release` once safe. */
export function holdPubacks(client: MqttClient, opts: { window: number; onMessage: (packet: IPublishPacket, ticket: PubackTicket) => void }): HeldPubacks {
  const send = (client as unknown as { _sendPacket?: SendPacket })._sendPacket;
  if (typeof send !== 'function') throw new Error('holdPubacks: this mqtt.js has no _sendPacket; the bridge cannot hold PUBACKs with it');
  if (!(opts.window >= 2)) throw new Error(`holdPubacks: expected a window of at least 2, got ${opts.window}`);
  const gate = intakeGate(client, { pauseAtBytes: opts.window, resumeAtBytes: Math.floor((opts.window * 3) / 4) });
  const gated = client.handleMessage;
  // Open tickets in arrival order, from `head` on.
  let queue: PubackTicket[] = [];
  let head = 0;
  let acked = 0;
  let closed = false;

  const flush = () => {
    while (head < queue.length && queue[head].released) {
      const t = queue[head++];
      if (t.qos > 0 && t.messageId !== undefined && client.connected && client.stream === t.via) {
        send.call(client, { cmd: 'puback', messageId: t.messageId });
        acked++;
      }
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    gate.update(queue.length - head);
  };

  client.handleMessage = (packet, callback) => {
    if (closed) return callback(PUBACK_TAKEN_OVER);
    const ticket: PubackTicket = { messageId: packet.messageId, qos: packet.qos, via: client.stream, released: false };
    queue.push(ticket);
    gate.update(queue.length - head);
    opts.onMessage(packet, ticket);
    gated(packet, () => callback(PUBACK_TAKEN_OVER));
  };

  return {
    release(ticket) {
      if (ticket.released) return;
      ticket.released = true;
      flush();
    },
    get open() {
      return queue.length - head;
    },
    get acked() {
      return acked;
    },
    get paused() {
      return gate.paused;
    },
    close() {
      if (closed) return;
      closed = true;
      gate.close();
      // gate.close() gave the client mqtt.js's handler back; keep ours, which now acknowledges nothing.
      client.handleMessage = (_packet, callback) => callback(PUBACK_TAKEN_OVER);
    },
  };
}
