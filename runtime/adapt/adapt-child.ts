/**
 * The gateway's `vigil adapt` child, as adaptation.ts calls it: the command and the SCHED_IDLE prefix fine-tuning runs
 * under, settled once at start (a warning when the idle class cannot be had); one child at a time (run-vigil.ts runs
 * it); the arguments of an attempt (the reservoir file, and the configured bounds as `vigil adapt`'s own flags) and of
 * a rollback; and what a child's exit says: a refusal (exit 3, or 5 naming the anchor version to go back to), what an
 * adapted run did, why one failed (train/adapt/cli.ts, ADAPT_EXIT).
 */
import type { VigilLogger } from '../ops/logger.ts';
import type { AdaptConfig } from './config.ts';
import { idlePrefix, runVigil, vigilCommand, type ChildResult, type ChildRun } from './run-vigil.ts';

/** `vigil adapt` flags for the configured bounds (their defaults are adapt's own). */
const FLAGS = { replay: '--replay', maxChange: '--max-change', maxRise: '--max-rise', maxBarRise: '--max-bar-rise', minGain: '--min-gain', canaryShare: '--canary-share', anchorAgeMs: '--anchor-age', anchorShare: '--anchor-share', judge: '--judge', epochs: '--epochs', learningRate: '--lr', backend: '--backend', threshold: '--threshold' } as const;

/** The `vigil` children of one runtime's adaptation, one at a time. */
export class AdaptChild {
  private readonly command: string[];
  /** The SCHED_IDLE prefix fine-tuning runs under (not a rollback: that is a quick safety action), if any. */
  private readonly idle: string[];
  private child: ChildRun | undefined;

  /** Throws when `vigil adapt` cannot be run here (vigilCommand). */
  constructor(
    private readonly cfg: AdaptConfig,
    log: VigilLogger,
  ) {
    // Niceness 0 asks for the runtime's own priority: no idle class then.
    const wantIdle = cfg.idle && cfg.niceness > 0;
    const idle = wantIdle ? idlePrefix() : undefined;
    if (wantIdle && !idle) log.warn({ niceness: cfg.niceness }, `adaptation: fine-tuning cannot run under SCHED_IDLE here (needs Linux and util-linux chrt, permitted); it runs at niceness ${cfg.niceness} only`);
    this.idle = idle ?? [];
    this.command = vigilCommand(cfg.command);
  }

  /** Run a `vigil` child (fine-tuning under the idle class, when there is one); its result. */
  async run(args: string[], idle = true): Promise<ChildResult> {
    this.child = runVigil([...(idle ? this.idle : []), ...this.command], args, this.cfg.timeoutMs, this.cfg.niceness);
    try {
      return await this.child.result;
    } finally {
      this.child = undefined;
    }
  }

  /** Stop the child running now, if any. */
  kill(): void {
    this.child?.kill();
  }

  /** `vigil adapt` arguments for one attempt on model path `model`: the reservoir file and the configured bounds. */
  adaptArgs(model: string, reservoirFile: string, reason: string): string[] {
    const args = ['adapt', '--model', model, '--reservoir', reservoirFile, '--reason', reason, '--quiet'];
    for (const [key, flag] of Object.entries(FLAGS)) {
      const v = this.cfg[key as keyof typeof FLAGS];
      if (v !== undefined) args.push(flag, String(v));
    }
    return args;
  }

  /** `vigil adapt rollback` arguments: back to the previous version of `model`, or to version `to`. */
  rollbackArgs(model: string, to?: string): string[] {
    return ['adapt', 'rollback', '--model', model, ...(to === undefined ? [] : ['--to', to])];
  }

  /** Why a run did not succeed, in a line. */
  why(r: ChildResult): string {
    return r.timedOut ? `stopped after adapt.timeoutMs ${this.cfg.timeoutMs} ms` : r.line ?? (r.stderrTail || `exit ${r.code}`);
  }

  /** The reason `vigil adapt` refused to adapt (exit 3, or 5: back to an anchor); undefined when it did not refuse. */
  refusal(r: ChildResult): string | undefined {
    return r.code === 3 || r.code === 5 ? (r.line ?? '').replace(/^adapt: refused [^:]*: /, '').replace(/; nothing written.*$/, '') || this.why(r) : undefined;
  }

  /**
   * Exit 5: the recent data moved too far from the anchor, an earlier version; the version to roll back to (undoing
   * the chain that followed it), if the run says so.
   */
  anchor(r: ChildResult): string | undefined {
    return r.code === 5 ? /; roll back to v(\S+?)(?: \(|$)/.exec(r.line ?? '')?.[1] : undefined;
  }

  /** What an adapted run says it did: its decision line after `adapt: adapted NAME: `. */
  adapted(r: ChildResult): string {
    return r.line?.replace(/^adapt: adapted [^:]*: /, '') ?? '';
  }
}
