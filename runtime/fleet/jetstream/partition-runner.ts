/**
 * One owned partition: resume from its saved state, rebuild its windows from the stream, then fetch -> judge ->
 * publish -> save -> ack, one batch at a time. A reading is acknowledged only after its verdict, any alert and
 * the partition state that includes it are stored, so a worker that dies at any point leaves a resume point at
 * or before what it published; the next owner judges again from there with the same state and the same windows,
 * and the results stream drops the repeats by Nats-Msg-Id (derived from the stream sequence; an alert closed because
 * its sensor was evicted for room, from the alert's incident, as the next owner may evict it at another reading).
 */
import { modelIdOf, modelMismatch } from '../../thresholds/state-model.ts';
import type { JsMsg } from 'nats';
import type { RunConfig } from '../../config/schema.ts';
import type { Codec } from '../../codecs/codec.ts';
import { decodeMessage } from '../../codecs/decode.ts';
import type { ModelRef } from '../../inference/model-ref.ts';
import { servingRanges } from '../../model/ranges.ts';
import type { AlertEvent } from '../../stream/types.ts';
import { alertPayload, fromGateway } from '../../mqtt/alert-payload.ts';
import type { VigilLogger } from '../../ops/logger.ts';
import type { JetStreamFleetConfig } from './config.ts';
import type { FleetNats } from './streams.ts';
import { addConsumer, deleteStaleConsumers, Deliveries } from './partition-consumer.ts';
import { PartitionPipeline, type Judged } from './partition-pipeline.ts';
import { loadPartitionState, savePartitionState, type PartitionSnapshot } from './partition-state.ts';
import { readBack } from './rebuild.ts';

/** What every partition of a worker shares. */
export interface RunnerContext {
  nats: FleetNats;
  j: JetStreamFleetConfig;
  partitions: number;
  worker: string;
  config: RunConfig;
  ref: ModelRef;
  codec: Codec;
  log: VigilLogger;
  /** Runs one batch's judging at a time across the worker's partitions (one inference at a time). */
  serial: <T>(f: () => Promise<T>) => Promise<T>;
  /** Told of every verdict published (duplicate: the results stream already had it). */
  onVerdict?: (partition: number, seq: number, duplicate: boolean) => void;
  /**
   * Told of each batch judged: how long after the bridge stored its last reading (ms), and the partition's messages
   * still in the stream then (fleet-lag.ts).
   */
  onJudged?: (lagMs: number, waiting: number) => void;
}

/** A running partition. */
export interface PartitionRunner {
  partition: number;
  /** Settles when the runner ends: resolved after `stop()`, rejected when it failed or lost the partition. */
  done: Promise<void>;
  /** Finish the batch in hand (judged, published, saved, acked), then end. */
  stop(): Promise<void>;
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** How `stop()` reaches a running partition: stop pulling at once, end after the batch in hand. */
interface Control {
  running: boolean;
  stopConsuming: () => void;
}

/** Take over partition `k` and run it until stopped. */
export function runPartition(k: number, ctx: RunnerContext): PartitionRunner {
  const control: Control = { running: true, stopConsuming: () => {} };
  const done = run(k, ctx, control);
  return {
    partition: k,
    done,
    async stop() {
      control.running = false;
      // No new pull requests from here on: the partition may already be someone else's (a lapsed lease).
      control.stopConsuming();
      await done.catch(() => undefined);
    },
  };
}

async function run(k: number, ctx: RunnerContext, control: Control): Promise<void> {
  const running = () => control.running;
  const { nats, j, worker, config, ref, log } = ctx;
  const card = ref.current.card;
  // 1. The resume point and state; a different previous owner makes this a hand-over. Saved at once, whoever saved
  //    last: that write fences any earlier runner (another worker's, or our own whose lease lapsed and was taken
  //    again), whose next compare-and-set save now fails.
  let { state, revision } = await loadPartitionState(nats.states, k, ctx.partitions);
  const firstSeq = (await nats.jsm.streams.info(j.stream)).state.first_seq;
  const modelId = modelIdOf(card);
  // As the state file: another name, version or weights (a model retrained under the same name and version).
  const mismatch = state ? modelMismatch(state.model, modelId) : undefined;
  const sameModel = !!state && !mismatch;
  if (mismatch) log.warn({ partition: k, saved: state!.model, serving: modelId, problem: mismatch }, 'fleet: partition state saved under another model; thresholds start from the card');
  const handovers = (state?.handovers ?? 0) + (state && state.owner !== worker ? 1 : 0);
  let lastSeq = Math.max(state?.seq ?? 0, firstSeq - 1);
  const sensors = new Set<string>([...Object.keys(state?.thresholds ?? {}), ...Object.keys(state?.alerts ?? {}), ...(state?.sensors ?? [])]);

  // 2. A pipeline of this partition's own (windows, thresholds, alerts), restored from the state.
  const pp = new PartitionPipeline(config, ref, log, state, sameModel);
  const decode = (subject: string, payload: Uint8Array) => {
    const where = nats.names.parse(subject);
    if (!where) return { reason: 'bad_subject', detail: `subject '${subject}' names no partition and sensor` };
    return decodeMessage({ topic: subject, payload, receivedAt: Date.now() }, { codec: ctx.codec, route: () => ({ sensor: where.sensor }), maxPayloadBytes: config.source.maxPayloadBytes, ranges: () => servingRanges(card) });
  };
  const snapshot = (seq: number): PartitionSnapshot => ({
    format: 'vigil-jetstream-partition',
    version: 1,
    partition: k,
    partitions: ctx.partitions,
    seq,
    owner: worker,
    handovers,
    savedAt: Date.now(),
    model: modelId,
    ...pp.saved(card),
    sensors: [...sensors].slice(-config.window.maxSensors),
  });

  try {
    // Restored open alerts the bound has no room for (window.maxSensors lowered since their save) were closed: out
    // before the state without them is saved.
    await publishBatch(ctx, k, pp.take(), new Map(), []);
    revision = await savePartitionState(nats.states, snapshot(lastSeq), revision);
    // 3. Windows: the last W-1 readings of each known sensor before the resume point, through a fresh window stage.
    const back = await readBack(nats.js, nats.jsm, { stream: j.stream, filter: nats.names.partition(k), sensors, need: card.window - 1, start: lastSeq + 1, sensorOf: (s) => nats.names.parse(s)?.sensor });
    for (const m of back) {
      const r = decode(m.subject, m.payload);
      if (Array.isArray(r)) for (const reading of r) pp.feed(reading);
    }
    await pp.drained();
    // The replayed readings' verdicts were published by whoever judged them first; an eviction's close is not a verdict.
    await publishBatch(ctx, k, pp.take().filter((x) => 'evicted' in x), new Map(), []);
    if (state && state.owner !== worker) log.info({ partition: k, from: state.owner, resumeAfter: lastSeq, rebuilt: back.length, sensors: sensors.size }, 'fleet: took over a partition');

    // 4. A durable consumer of this take-over's own from the resume point; earlier owners' consumers (and their
    //    unacked deliveries) go, so a stale owner's pulls find nothing.
    await deleteStaleConsumers(nats, j, k);
    if (!running()) return;
    const consumer = await addConsumer(nats, j, k, lastSeq);
    const deliveries = new Deliveries(lastSeq);
    const messages = await consumer.consume({ max_messages: 2 * j.fetchBatch, expires: j.fetchWaitMs, callback: deliveries.push });
    control.stopConsuming = () => void messages.stop();
    if (!running()) control.stopConsuming();
    while (running()) {
      const batch = await deliveries.take(j.fetchBatch);
      if (batch.length === 0) continue;
      revision = await ctx.serial(async () => {
        // 5. Judge: each reading through the window stage, noting which stream sequence cut which sensor's window.
        const { cut, dead } = feedBatch(batch, decode, pp, sensors);
        await pp.drained();
        // 6. Publish verdicts, alerts and dead letters; ids from the stream sequence make a repeat a no-op.
        await publishBatch(ctx, k, pp.take(), cut, dead);
        // 7. Save the state that includes this batch, then acknowledge it (AckAll: the last one covers the batch).
        const last = batch[batch.length - 1];
        const rev = await savePartitionState(nats.states, snapshot(last.seq), revision);
        last.ack();
        lastSeq = last.seq;
        ctx.onJudged?.(Date.now() - last.info.timestampNanos / 1e6, last.info.pending);
        return rev;
      });
    }
  } finally {
    control.stopConsuming();
    pp.close();
  }
}

type Decoded = ReturnType<typeof decodeMessage> | { reason: string; detail: string };
interface DeadLetter {
  seq: number;
  reason: string;
  detail: string;
}

/** Feed a batch's readings; which stream sequences cut each sensor's windows (in order), and the undecodable ones. */
function feedBatch(batch: JsMsg[], decode: (subject: string, payload: Uint8Array) => Decoded, pp: PartitionPipeline, sensors: Set<string>) {
  const cut = new Map<string, number[]>();
  const dead: DeadLetter[] = [];
  for (const m of batch) {
    const r = decode(m.subject, m.data);
    if (!Array.isArray(r)) {
      dead.push({ seq: m.seq, reason: r.reason, detail: r.detail });
      continue;
    }
    for (const reading of r) {
      sensors.delete(reading.sensor);
      sensors.add(reading.sensor);
      if (!pp.feed(reading)) continue;
      let q = cut.get(reading.sensor);
      if (!q) cut.set(reading.sensor, (q = []));
      q.push(m.seq);
    }
  }
  return { cut, dead };
}

/**
 * Publish a batch's verdicts, alerts and dead letters, with message ids from the stream sequence; an eviction's close
 * with its alert's incident as id (the same alert closed again, at whichever reading, is the same message), and the
 * sequence of the reading whose verdict evicted it.
 */
async function publishBatch(ctx: RunnerContext, k: number, out: Judged[], cut: Map<string, number[]>, dead: DeadLetter[]): Promise<void> {
  const { nats, j, worker, config } = ctx;
  const nth = new Map<number, number>();
  const sends: Promise<unknown>[] = [];
  const alertBody = (e: AlertEvent) => fromGateway(alertPayload(e, config.alerts.topChannels), config.gateway.id);
  for (const x of out) {
    if ('evicted' in x) {
      const body = alertBody(x.evicted);
      const seq = cut.get(x.admitted)?.[0];
      sends.push(nats.js.publish(nats.names.alert(k, x.evicted.sensor), enc({ ...body, ...(seq === undefined ? {} : { seq }), worker }), { msgID: `u:${body.incident}` }));
      continue;
    }
    const d = x.detection;
    const v = d.verdict;
    const seq = cut.get(v.sensor)?.shift();
    if (seq === undefined) throw new Error(`partition ${k}: a verdict of ${v.sensor} matches no reading of the batch`);
    const n = nth.get(seq) ?? 0;
    nth.set(seq, n + 1);
    if (j.verdicts) {
      const body = { seq, n, sensor: v.sensor, ts: v.tsLast, score: v.score, threshold: v.threshold, anomaly: v.anomaly, alertOpen: d.alertOpen, worker };
      sends.push(nats.js.publish(nats.names.verdict(k, v.sensor), enc(body), { msgID: `v:${seq}:${n}` }).then((a) => ctx.onVerdict?.(k, seq, a.duplicate)));
    }
    if (d.alert) sends.push(nats.js.publish(nats.names.alert(k, v.sensor), enc({ ...alertBody(d.alert), seq, worker }), { msgID: `a:${seq}:${n}:${d.alert.type}` }));
  }
  for (const x of dead) sends.push(nats.js.publish(nats.names.dead(k), enc({ ...x, worker }), { msgID: `d:${x.seq}` }));
  await Promise.all(sends);
}
