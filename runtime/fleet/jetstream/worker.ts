/**
 * A JetStream fleet worker (`vigil fleet worker --jetstream`): opens the model, joins the group's lease bucket
 * and, every `renewMs`, renews its member entry and leases, gives up partitions above its fair share and takes
 * free or expired ones up to it, running each owned partition (partition-runner.ts). Stop: every partition
 * finishes its batch in hand, then the leases are released so the others take over at once.
 */
import type { RunConfig } from '../../config/schema.ts';
import { createCodec } from '../../codecs/registry.ts';
import { loadModel } from '../../model/load.ts';
import { openModel } from '../../inference/open-model.ts';
import type { VigilLogger } from '../../ops/logger.ts';
import { hash32 } from '../../util/prng.ts';
import { defaultWorkerId } from '../membership.ts';
import type { JetStreamFleetConfig } from './config.ts';
import { fairShare, Leases } from './leases.ts';
import { runPartition, type PartitionRunner, type RunnerContext } from './partition-runner.ts';
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
  const P = fleet.partitions;
  const workerId = defaultWorkerId(fleet, config.broker);
  const loaded = loadModel(config.model);
  const opened = await openModel(loaded, { providers: config.inference.providers, threads: config.inference.threads, spinning: config.inference.spinning, worker: config.inference.worker, warmup: [1, config.batch.size] });
  const ref = opened.ref;
  log.info({ model: `${loaded.card.name}@${loaded.card.version}` }, opened.report);
  const codec = createCodec(config.source.codec, { channels: loaded.card.channels, timestamp: config.source.timestamp, paths: config.source.channels });
  const nats = await openFleetNats(j, fleet.group, workerId).catch(async (err) => {
    await ref.close();
    throw err;
  });
  const leases = new Leases(nats.leases, workerId);
  const ctx: RunnerContext = { nats, j, partitions: P, worker: workerId, config, ref, codec, log, serial: serialQueue(), onVerdict: opts.onVerdict };
  const runners = new Map<number, PartitionRunner>();
  const owned = () => [...runners.keys()].sort((a, b) => a - b);
  const changed = () => opts.onOwned?.(owned());
  let stopping = false;

  const start = (k: number) => {
    const r = runPartition(k, ctx);
    runners.set(k, r);
    r.done.then(
      () => undefined,
      async (err: Error) => {
        // Lost (fenced) or failed: give the lease back so a healthy worker (maybe us, later) resumes it.
        // A runner already replaced (its lease lapsed, and we took the partition again) leaves the new lease alone.
        if (runners.get(k) !== r) return void log.info({ partition: k, err: err.message }, 'fleet: an earlier runner of a partition ended');
        log.warn({ partition: k, err: err.message }, 'fleet: partition stopped; releasing its lease');
        runners.delete(k);
        await leases.release(k);
        changed();
      },
    );
  };
  // Partitions are tried from a worker-specific offset, so starting workers do not all race for p0 first.
  const offset = hash32(workerId) % P;
  let beating = false;
  const beat = async () => {
    if (beating || stopping) return;
    beating = true;
    try {
      await leases.heartbeat();
      for (const k of await leases.renew()) {
        log.warn({ partition: k }, 'fleet: lease lost (expired and taken, or deleted); stopping the partition');
        const r = runners.get(k);
        runners.delete(k);
        void r?.stop();
        changed();
      }
      const share = fairShare(P, (await leases.members()).length);
      const mine = owned();
      for (const k of mine.slice(share)) {
        const r = runners.get(k);
        runners.delete(k);
        await r?.stop();
        await leases.release(k);
        log.info({ partition: k, share }, 'fleet: released a partition above the fair share');
      }
      if (runners.size < share) {
        const taken = await leases.owners();
        for (let i = 0; i < P && runners.size < share && !stopping; i++) {
          const k = (offset + i) % P;
          if (taken.has(k) || runners.has(k)) continue;
          if (await leases.take(k)) start(k);
        }
      }
      if (mine.join() !== owned().join()) changed();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'fleet: lease round failed; retrying on the next beat');
    } finally {
      beating = false;
    }
  };
  await beat();
  const timer = setInterval(() => void beat(), j.renewMs);

  return {
    workerId,
    owned,
    async stop() {
      stopping = true;
      clearInterval(timer);
      while (beating) await new Promise((r) => setTimeout(r, 10));
      await Promise.all([...runners.values()].map((r) => r.stop()));
      runners.clear();
      await leases.leave();
      await nats.close();
      await ref.close();
    },
  };
}
