/**
 * The partitions a JetStream worker runs, kept in step with its leases by one lease round per beat: renew the
 * member entry and the leases (a lost lease stops its partition), give up partitions above the fair share, then
 * take free or expired ones up to it. A partition whose runner fails gives its lease back.
 */
import type { VigilLogger } from '../../ops/logger.ts';
import { hash32 } from '../../util/prng.ts';
import { fairShare, type Leases } from './leases.ts';
import { runPartition, type PartitionRunner, type RunnerContext } from './partition-runner.ts';

/** A worker's running partitions and the lease rounds that decide them. */
export class OwnedPartitions {
  private readonly runners = new Map<number, PartitionRunner>();
  /** Partitions are tried from a worker-specific offset, so starting workers do not all race for p0 first. */
  private readonly offset: number;
  private readonly P: number;
  private readonly log: VigilLogger;
  private beating = false;
  private stopping = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly ctx: RunnerContext,
    private readonly leases: Leases,
    private readonly onOwned?: (partitions: number[]) => void,
  ) {
    this.P = ctx.partitions;
    this.log = ctx.log;
    this.offset = hash32(ctx.worker) % this.P;
  }

  /** The partitions running now, ascending. */
  owned(): number[] {
    return [...this.runners.keys()].sort((a, b) => a - b);
  }

  /** A lease round every `renewMs` from now on. */
  beatEvery(renewMs: number): void {
    this.timer = setInterval(() => void this.beat(), renewMs);
  }

  /** One lease round (skipped while one runs or once stopping); a failed round is retried on the next beat. */
  async beat(): Promise<void> {
    if (this.beating || this.stopping) return;
    this.beating = true;
    try {
      await this.leases.heartbeat();
      await this.dropLost();
      const share = fairShare(this.P, (await this.leases.members()).length);
      const mine = this.owned();
      await this.releaseAbove(mine, share);
      if (this.runners.size < share) await this.takeUpTo(share);
      if (mine.join() !== this.owned().join()) this.changed();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'fleet: lease round failed; retrying on the next beat');
    } finally {
      this.beating = false;
    }
  }

  /** Stop beating, wait for the round in hand, and let every partition finish its batch in hand. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    while (this.beating) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
  }

  private changed(): void {
    this.onOwned?.(this.owned());
  }

  /** Renew the leases; stop the partitions whose lease was lost. */
  private async dropLost(): Promise<void> {
    for (const k of await this.leases.renew()) {
      this.log.warn({ partition: k }, 'fleet: lease lost (expired and taken, or deleted); stopping the partition');
      const r = this.runners.get(k);
      this.runners.delete(k);
      void r?.stop();
      this.changed();
    }
  }

  /** Stop and release the partitions of `mine` past the fair share. */
  private async releaseAbove(mine: number[], share: number): Promise<void> {
    for (const k of mine.slice(share)) {
      const r = this.runners.get(k);
      this.runners.delete(k);
      await r?.stop();
      await this.leases.release(k);
      this.log.info({ partition: k, share }, 'fleet: released a partition above the fair share');
    }
  }

  /** Take free partitions, from this worker's offset on, until it runs its fair share. */
  private async takeUpTo(share: number): Promise<void> {
    const taken = await this.leases.owners();
    for (let i = 0; i < this.P && this.runners.size < share && !this.stopping; i++) {
      const k = (this.offset + i) % this.P;
      if (taken.has(k) || this.runners.has(k)) continue;
      if (await this.leases.take(k)) this.start(k);
    }
  }

  private start(k: number): void {
    const r = runPartition(k, this.ctx);
    this.runners.set(k, r);
    r.done.then(
      () => undefined,
      async (err: Error) => {
        // Lost (fenced) or failed: give the lease back so a healthy worker (maybe us, later) resumes it.
        // A runner already replaced (its lease lapsed, and we took the partition again) leaves the new lease alone.
        if (this.runners.get(k) !== r) return void this.log.info({ partition: k, err: err.message }, 'fleet: an earlier runner of a partition ended');
        this.log.warn({ partition: k, err: err.message }, 'fleet: partition stopped; releasing its lease');
        this.runners.delete(k);
        await this.leases.release(k);
        this.changed();
      },
    );
  }
}
