/**
 * Window rebuild for a new owner: the last `need` (W-1) messages of each of a partition's sensors before the
 * sequence it starts from, read back from the stream, so the first reading it judges completes the same window
 * the previous owner would have cut. The stream is read backwards in growing chunks (an ordered consumer per
 * chunk, filtered to the partition) until every sensor named in the saved state has `need` messages or the
 * stream's first sequence is reached.
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from 'nats';

/** One stored message of a sensor. */
export interface StoredReading {
  seq: number;
  subject: string;
  sensor: string;
  payload: Uint8Array;
}

/** Options of `readBack`. */
export interface ReadBackOptions {
  stream: string;
  /** The partition's subject filter. */
  filter: string;
  /** Sensors whose windows to rebuild. */
  sensors: Set<string>;
  /** Messages wanted per sensor (window - 1). */
  need: number;
  /** First sequence the new owner judges. */
  start: number;
  sensorOf: (subject: string) => string | undefined;
}

/**
 * Read messages with sequence in [from, to] on `filter`, in order. One fetch may end (expire) before the range is
 * read on a loaded server, so fetches repeat until a message at or past `to` arrives or the consumer has nothing
 * left; a short read would rebuild a window from older readings (a hole).
 */
async function readRange(js: JetStreamClient, stream: string, filter: string, from: number, to: number, onMsg: (m: JsMsg) => void): Promise<void> {
  const c = await js.consumers.get(stream, { filterSubjects: filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
  for (;;) {
    const it = await c.fetch({ max_messages: Math.min(to - from + 1, 10_000), expires: 1000 });
    let got = 0;
    for await (const m of it) {
      got++;
      if (m.seq > to) return it.stop();
      onMsg(m);
      if (m.seq >= to || m.info.pending === 0) return it.stop();
    }
    if (got === 0 && (await c.info(false)).num_pending === 0) return;
  }
}

/** The messages to replay into a fresh window stage, oldest first (at most `need` per sensor). */
export async function readBack(js: JetStreamClient, jsm: JetStreamManager, o: ReadBackOptions): Promise<StoredReading[]> {
  if (o.need <= 0 || o.sensors.size === 0 || o.start <= 1) return [];
  const first = (await jsm.streams.info(o.stream)).state.first_seq;
  const per = new Map<string, StoredReading[]>([...o.sensors].map((s) => [s, []]));
  const short = () => [...per.values()].some((l) => l.length < o.need);
  let hi = o.start - 1;
  let chunk = Math.max(256, o.sensors.size * o.need * 2);
  while (hi >= first && short()) {
    const lo = Math.max(first, hi - chunk + 1);
    const got: StoredReading[] = [];
    await readRange(js, o.stream, o.filter, lo, hi, (m) => {
      const sensor = o.sensorOf(m.subject);
      if (sensor !== undefined && per.has(sensor)) got.push({ seq: m.seq, subject: m.subject, sensor, payload: m.data });
    });
    // Walk this chunk newest first, filling sensors that still need older messages.
    for (let i = got.length - 1; i >= 0; i--) {
      const l = per.get(got[i].sensor)!;
      if (l.length < o.need) l.push(got[i]);
    }
    hi = lo - 1;
    chunk *= 2;
  }
  return [...per.values()].flat().sort((a, b) => a.seq - b.seq);
}
