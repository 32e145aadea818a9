/**
 * A JetStream fleet worker (`vigil fleet worker --jetstream`): opens the model, joins the group's lease bucket
 * and, every `renewMs`, renews its member entry and leases, gives up partitions above its fair share and takes
 * free or expired ones up to it, running each owned partition (partition-runner.ts). Stop: every partition
 * finishes its batch in hand, then the leases are released so the others take over at once.
 */
import type { RunConfig } from '../../config/schema.ts';
import type { Codec } from '../../codecs/codec.ts';
import { createCodec } from '../../codecs/registry.ts';
import { loadModel } from '../../model/load.ts';
import type { ModelRef } from '../../inference/model-ref.ts';
import { openModel } from '../../inference/open-model.ts';
import type { VigilLogger } from '../../ops/logger.ts';
import { defaultWorkerId } from '../membership.ts';
import type { JetStreamFleetConfig } from './config.ts';
import { fleetLag } from './fleet-lag.ts';
import { Leases } from './leases.ts';
import { OwnedPartitions } from './owned-partitions.ts';
import type { RunnerContext } from './partition-runner.ts';
import { openFleetNats } from './streams.ts';

/** Options of a worker. */
export interface JetStreamWorkerOptions {
  config: RunConfig;
  log: VigilLogger;
  onVerdict?: RunnerContext['onVerdict'];
  /** Told whenever the set of owned partitions changes. */
  onOwned?: (partitions: number[]) => void;
}

/** A running worker. */
export interface JetStreamWorker {
  workerId: string;
  owned(): number[];
  stop(): Promise<void>;
}

/** One-at-a-time execution of async steps. */
function serialQueue(): <T>(f: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(f: () => Promise<T>) => {
    const next = tail.then(f, f);
    tail = next.catch(() => undefined);
    return next;
  };
}

/** Start a worker; resolves once connected and the model is open (partitions are taken on the first beat). */
export async function startJetStreamWorker(opts: JetStreamWorkerOptions): Promise<JetStreamWorker> {
  const { config, log } = opts;
  const fleet = config.fleet;
  if (!fleet?.jetstream) throw new Error('no fleet.jetstream section: set fleet.group and fleet.jetstream (docs/fleet-jetstream.md)');
  const j: JetStreamFleetConfig = fleet.jetstream;
  const workerId = defaultWorkerId(fleet, config.broker);
  const { ref, codec } = await openJudge(config, log);
  const nats = await openFleetNats(j, fleet.group, workerId).catch(async (err) => {
    await ref.close();
    throw err;
  });
  const leases = new Leases(nats.leases, workerId);
  const lag = fleetLag(log, config.log);
  const ctx: RunnerContext = { nats, j, partitions: fleet.partitions, worker: workerId, config, ref, codec, log, serial: serialQueue(), onVerdict: opts.onVerdict, onJudged: lag.judged };
  const partitions = new OwnedPartitions(ctx, leases, opts.onOwned);
  await partitions.beat();
  partitions.beatEvery(j.renewMs);

  return {
    workerId,
    owned: () => partitions.owned(),
    async stop() {
      await partitions.stop();
      lag.flush();
      await leases.leave();
      await nats.close();
      await ref.close();
    },
  };
}

/** Open the model (warmed up for one reading and a full batch) and the payload codec for its channels. */
async function openJudge(config: RunConfig, log: VigilLogger): Promise<{ ref: ModelRef; codec: Codec }> {
  const loaded = loadModel(config.model);
  const opened = await openModel(loaded, { providers: config.inference.providers, threads: config.inference.threads, spinning: config.inference.spinning, worker: config.inference.worker, warmup: [1, config.batch.size] });
  const ref = opened.ref;
  log.info({ model: `${loaded.card.name}@${loaded.card.version}` }, opened.report);
  const codec = createCodec(config.source.codec, { channels: loaded.card.channels, timestamp: config.source.timestamp, paths: config.source.channels });
  return { ref, codec };
}
