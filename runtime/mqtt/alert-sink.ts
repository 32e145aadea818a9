/**
 * Publish alerts at QoS 1 (default) to the alert topic. While the broker is unreachable, alerts wait in a
 * bounded queue (oldest dropped beyond `queueMax`, counted) and go out in order after the reconnect. Once
 * handed to mqtt.js, a QoS 1 publish is retried by it until the broker acknowledges. Over MQTT 5 each alert
 * carries its content type, a UTF-8 payload format indicator, an expiry and user properties (model, version,
 * severity), so a consumer can route without parsing; over MQTT 3.1.1 (no properties) the JSON says the same.
 *
 * With `retain`, only an alert's own events (open, escalate, close) are retained, and without an expiry: the retained
 * message of a sensor's topic is then its alert state for a subscriber that arrives later (a SCADA restarted). A
 * signal (invalid, silent, resumed) retained over it had told that subscriber "invalid" or "resumed" while an alert
 * stayed open (a probe), and a retained open expiring after a day had told it nothing. A broker that answers a
 * reconnect of a persistent session with none kept has lost its store, retained messages included: each open alert's
 * last event is published again (retained-states.ts), before anything that waited for the connection.
 */
import type { IClientPublishOptions, IConnackPacket, MqttClient } from 'mqtt';
import { alertTopic, type AlertMessagePayload } from './alert-payload.ts';
import type { MiniLogger } from './connect.ts';
import type { UnsentJournal } from './unsent-alerts.ts';
import { RetainedStates } from './retained-states.ts';

/** Options of the MQTT alert sink. */
export interface AlertSinkOptions {
  topic: string;
  qos: 0 | 1;
  retain: boolean;
  queueMax: number;
  /** MQTT 5 message expiry in seconds (0: never expires); not sent over MQTT 3.1.1. */
  messageExpirySec: number;
  log?: MiniLogger;
  /**
   * Where each message is kept from the end of its turn (before it is sent) until nothing waits (unsent-alerts.ts): one
   * sent may go unacknowledged through a whole outage, so a kill -9 in it must find it on disk too (a review).
   */
  journal?: UnsentJournal;
}

/** MQTT 5 publish properties of an alert (the content type is also the codec mapping's, docs/payloads.md). */
export function alertProperties(p: AlertMessagePayload, messageExpirySec: number): NonNullable<IClientPublishOptions['properties']> {
  return {
    contentType: 'application/json',
    payloadFormatIndicator: true,
    ...(messageExpirySec > 0 ? { messageExpiryInterval: messageExpirySec } : {}),
    userProperties: { model: p.model.name, version: p.model.version, ...(p.model.weights ? { weights: p.model.weights } : {}), severity: p.severity, ...(p.gateway ? { gateway: p.gateway } : {}) },
  };
}

/** Counts kept by the sink. */
export interface AlertSinkStats {
  /** Alerts acknowledged by the broker (QoS 1) or written (QoS 0). */
  delivered: number;
  /** Alerts that had to wait for a connection. */
  queued: number;
  /** Alerts dropped because the offline queue was full. */
  dropped: number;
  /** Publishes that failed (and were re-queued). */
  errors: number;
  /** Messages the broker refused (MQTT 5 PUBACK failure reason code, e.g. an ACL): dropped, not retried. */
  refused: number;
  /** Gauge: alerts waiting now (queue plus in flight). */
  waiting: number;
}

/** The sink: `publish` never throws; `drain` waits for everything handed over to be acknowledged. */
export interface AlertSink {
  /**
   * Publish an alert event or a sensor's invalid-reading or silence signal on its alert topic, as built
   * (runtime/ops/sinks.ts builds each once, for the log, the webhook and here): kept on disk and sent at the end of
   * this turn with the others made in it, or sooner when `drain`, `stats`, `unsent`, `resend` or `close` is called.
   */
  publish(p: AlertMessagePayload): void;
  drain(timeoutMs: number): Promise<boolean>;
  stats(): AlertSinkStats;
  /** What is not acknowledged yet, in the order it was published: handed to mqtt.js, then waiting. */
  unsent(): AlertMessage[];
  /** Publish messages a previous run could not (`unsent`), before anything published after. */
  resend(items: AlertMessage[]): void;
  close(): void;
}

/** One alert-topic message as the sink sends it (and keeps it across a restart when the broker never took it). */
export interface AlertMessage {
  topic: string;
  body: string;
  properties?: IClientPublishOptions['properties'];
  /** An alert's own event (open, escalate, close), not a signal: the only kind retained (absent: read from `body`). */
  lifecycle?: boolean;
}

/**
 * Whether a message is an alert's own event (open, escalate, close) rather than a sensor's signal: its flag, or (kept
 * by an older run, without one) its body's type (a review: an anchored pattern never matched, the schema comes first).
 */
export function isLifecycle(m: AlertMessage): boolean {
  if (m.lifecycle !== undefined) return m.lifecycle;
  const type = typeOf(m);
  return type === 'open' || type === 'escalate' || type === 'close';
}
type Item = AlertMessage;

/** An alert message's `type` (open, escalate, close, or a signal's), from its body. */
function typeOf(m: AlertMessage): string {
  try {
    return String((JSON.parse(m.body) as { type?: unknown }).type);
  } catch {
    return '';
  }
}

/** A publish that failed while the client stayed connected is retried after this long (ms). */
const RETRY_MS = 1000;

/** Create the MQTT alert sink on a client. */
export function mqttAlertSink(client: MqttClient, opts: AlertSinkOptions): AlertSink {
  const queue: Item[] = [];
  /** Handed to mqtt.js and not answered yet. */
  const sending = new Set<Item>();
  /** Made in this turn, not yet on disk nor handed over (`takeMade`). */
  let made: Item[] = [];
  const stats = { delivered: 0, queued: 0, dropped: 0, errors: 0, refused: 0 };
  const idle: (() => void)[] = [];
  let closed = false;

  const settle = () => {
    if (queue.length > 0 || sending.size > 0 || made.length > 0) return;
    if (!closed) opts.journal?.clear();
    lines = 0;
    for (const f of idle.splice(0)) f();
  };
  // Each message goes on disk once, before it is sent or queued, in the order made (a failed publish put back at
  // the front is already there: appended again it had gone out twice, and after the ones behind it; a review). Past
  // twice queueMax lines (what the full queue dropped stays on disk) the file is written afresh from what waits.
  const journaled = new WeakSet<Item>();
  let lines = 0;
  const keep = (items: readonly Item[]) => {
    if (!opts.journal || closed) return;
    const fresh = items.filter((item) => !journaled.has(item));
    for (const item of fresh) journaled.add(item);
    lines += fresh.length;
    if (lines <= 2 * opts.queueMax) return opts.journal.append(fresh);
    // What waits once `items` are sent or in line (in line past queueMax, the oldest go: not written again).
    const known = new Set([...sending, ...queue]);
    const inLine = [...queue, ...fresh.filter((item) => !known.has(item))];
    const waiting = [...sending, ...(client.connected && queue.length === 0 ? inLine : inLine.slice(-opts.queueMax))];
    opts.journal.rewrite(waiting);
    lines = waiting.length;
  };
  // The turn's messages go on disk together at its end (process.nextTick, before any I/O), in one write, then out or in
  // line, in order: none has left the process before it is on disk, so a kill -9 meanwhile loses only messages nothing
  // has seen (issue 14: a write, an fstat and a stringify per alert were most of its cost on the main thread).
  const takeMade = () => {
    if (made.length === 0) return;
    const batch = made;
    made = [];
    keep(batch);
    for (const item of batch) {
      if (client.connected && queue.length === 0) send(item);
      else {
        stats.queued++;
        enqueue(item);
      }
    }
  };
  const enqueue = (item: Item, front = false) => {
    if (queue.length >= opts.queueMax) {
      queue.shift();
      stats.dropped++;
      opts.log?.warn({ queueMax: opts.queueMax, dropped: stats.dropped }, 'alert queue full; dropped the oldest alert');
    }
    if (front) queue.unshift(item);
    else queue.push(item);
  };
  const send = (item: Item) => {
    sending.add(item);
    const retain = opts.retain && isLifecycle(item);
    const options: IClientPublishOptions = { qos: opts.qos, retain };
    if (item.properties) {
      // Retained, it is the sensor's state until the next event: it must not expire while the alert is open.
      const { messageExpiryInterval: _expiry, ...kept } = item.properties;
      options.properties = retain ? kept : item.properties;
    }
    client.publish(item.topic, item.body, options, (err) => {
      sending.delete(item);
      const code = (err as { code?: unknown } | undefined)?.code;
      const refused = typeof code === 'number' && code >= 0x80;
      if (!err) stats.delivered++;
      else if (refused) {
        // The broker said no to this message (MQTT 5): sending it again gets the same answer, and left at the head of
        // the queue it held back every alert after it until a reconnect. Dropped, counted, said.
        stats.refused++;
        opts.log?.warn({ topic: item.topic, reasonCode: code, err: err.message }, `alert refused by the broker (reason code 0x${code.toString(16)}); dropped. If not authorised: let vigil's user publish on the alert topic (the broker's ACL)`);
      } else {
        stats.errors++;
        stats.queued++;
        // A publish mqtt.js gave up on (e.g. the connection dropped before it was stored) goes back in line, retried
        // at the reconnect, or a second from now if the client stays connected.
        enqueue(item, true);
        opts.log?.warn({ topic: item.topic, err: err.message }, 'alert publish failed; queued for retry');
        scheduleRetry();
      }
      // After a refusal, what waits behind it goes out now.
      if (refused && client.connected) flush();
      else settle();
    });
  };
  // After a failure the queue waits for the retry (or a reconnect): a client that fails every publish at once (one
  // that is disconnecting but still says connected) would otherwise be retried in a loop with no end.
  let retry: NodeJS.Timeout | undefined;
  const scheduleRetry = () => {
    if (retry || closed) return;
    retry = setTimeout(() => {
      retry = undefined;
      flush();
    }, RETRY_MS);
    retry.unref();
  };
  const flush = () => {
    while (queue.length && client.connected && !retry && !closed) send(queue.shift()!);
    settle();
  };
  // A reconnect the broker answers with no session of ours (a persistent one) means it lost its store: the retained
  // states of open alerts go again, ahead of what waited (a close queued meanwhile then still ends one).
  const states = new RetainedStates();
  let connectedOnce = client.connected;
  const onConnect = (ack?: IConnackPacket) => {
    clearTimeout(retry);
    retry = undefined;
    if (opts.retain && connectedOnce && ack && !ack.sessionPresent && client.options.clean === false && states.size > 0) {
      const again = states.again();
      opts.log?.warn({ alerts: again.length }, `the broker kept no session for us, nor, likely, its retained messages: the ${again.length} open alert(s)' last events published again (retained)`);
      queue.unshift(...again);
    }
    connectedOnce = true;
    flush();
  };
  client.on('connect', onConnect);

  const put = (payload: AlertMessagePayload) => {
    let item: Item;
    try {
      item = { topic: alertTopic(opts.topic, payload.sensor), body: JSON.stringify(payload), lifecycle: payload.type === 'open' || payload.type === 'escalate' || payload.type === 'close' };
      // Properties exist only in MQTT 5; a 3.1.1 client would drop them anyway, so none are built for it.
      if (client.options.protocolVersion === 5) item.properties = alertProperties(payload, opts.messageExpirySec);
    } catch (err) {
      stats.errors++;
      opts.log?.error({ sensor: payload.sensor, err: (err as Error).message }, 'alert not published');
      return;
    }
    if (opts.retain && item.lifecycle) states.note(item, payload.type);
    if (made.push(item) === 1) process.nextTick(takeMade);
  };

  return {
    publish: put,
    drain(timeoutMs) {
      takeMade();
      if (queue.length === 0 && sending.size === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), timeoutMs);
        idle.push(() => {
          clearTimeout(t);
          resolve(true);
        });
      });
    },
    stats: () => {
      takeMade();
      return { ...stats, waiting: queue.length + sending.size };
    },
    unsent: () => {
      takeMade();
      return [...sending, ...queue];
    },
    resend(items) {
      takeMade();
      // Before what waits now, in order; beyond queueMax the oldest go, as they do while offline.
      const all = [...items, ...queue];
      const drop = Math.max(0, all.length - opts.queueMax);
      if (drop) {
        stats.dropped += drop;
        opts.log?.warn({ queueMax: opts.queueMax, dropped: drop }, 'alert queue full; dropped the oldest alerts kept from the last run');
      }
      queue.splice(0, queue.length, ...all.slice(drop));
      // Taken from the file at the start (which removed it): kept again until the broker has them, and their retained
      // states noted as if published now (a review: the last run's open alerts were not among those sent again).
      const kept = items.slice(Math.min(drop, items.length));
      keep(kept);
      if (opts.retain) for (const item of kept) states.note(item, typeOf(item));
      stats.queued += items.length;
      flush();
    },
    close() {
      closed = true;
      takeMade();
      clearTimeout(retry);
      retry = undefined;
      client.off('connect', onConnect);
      opts.journal?.close();
    },
  };
}
