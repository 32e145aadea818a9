/** Every message of a JetStream stream on a subject filter, in stream order (tests and the fleet bench count verdicts by it). */
import { DeliverPolicy, type JetStreamClient } from 'nats';

/** One stored message: its stream sequence, subject, payload and `Nats-Msg-Id` header when it has one. */
export interface StoredMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  msgId?: string;
}

/** Read `filter` of `stream` from its first sequence until nothing is pending (`expiresMs` per fetch). */
export async function readAll(js: JetStreamClient, stream: string, filter: string, expiresMs = 2000): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  const c = await js.consumers.get(stream, { filterSubjects: filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 1 });
  for (;;) {
    const it = await c.fetch({ max_messages: 5000, expires: expiresMs });
    let n = 0;
    let pending = 0;
    for await (const m of it) {
      n++;
      pending = m.info.pending;
      out.push({ seq: m.seq, subject: m.subject, data: m.data, msgId: m.headers?.get('Nats-Msg-Id') });
    }
    if (n === 0 || pending === 0) return out;
  }
}
