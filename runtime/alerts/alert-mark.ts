/**
 * An operator's word on an open alert's sensor (POST /sensors/NAME/normal or /trained, runtime/ops/re-anchors.ts), as
 * the alert's close says it (`marked`): the close is the mark's doing only when the alert was anomalous up to it and
 * quiet once it was done. A mark is taken in its first window (`MarkNews` done false) when the quiet windows had not
 * begun before it (or in place of one under way, whose doing they are), kept through the anchoring (with input
 * offsets its first half quiets the windows, and the alert may close before it is done: a probe saw every such close
 * read as the fault ending), and forgotten at any anomalous window after it is done (a review: a close an hour of
 * anomalies after a mark, or one a quiet run begun before it would have brought anyway, said 'marked'). An anchoring
 * that never says done (a rollback to a model scored before, its sensor's state evicted, a clock step making its
 * windows duplicates here) is waited for twice its length, then taken for lost (a review: a mark kept for ever
 * shielded the alert from every later anomaly).
 */
import { ANCHOR_WINDOWS, type Mark, type MarkNews } from '../scoring/re-anchor.ts';
import type { Verdict } from '../stream/types.ts';

/** The mark an open alert's close will say, if any. */
export class AlertMark {
  private held: Mark | undefined;
  /** `held`'s anchoring is under way (not saved: a restart drops an anchoring in progress, re-anchor.ts). */
  private marking = false;
  /** Windows left to wait for its `done`. */
  private left = 0;

  /** The window that opens the alert: a `normal` mark begun or done in it is taken (it was scored against the old level; a return to training is scored against the trained one, so an alert it opens is not its doing). */
  opened(v: Verdict): void {
    this.held = v.marked?.command === 'normal' ? markOf(v.marked) : undefined;
    this.wait(this.held !== undefined && !v.marked!.done, v.marked);
  }

  /** A later window of the open alert; `quiet`: the quiet windows in a row before it. */
  step(v: Verdict, quiet: number): void {
    const m = v.marked;
    if (m) {
      if (this.marking && m.done && m.command === this.held?.command) this.marking = false;
      else {
        this.held = quiet === 0 || this.marking ? markOf(m) : undefined;
        this.wait(this.held !== undefined && !m.done, m);
      }
      return;
    }
    if (this.marking && --this.left <= 0) this.marking = false;
    if (v.anomaly && !this.marking) this.held = undefined;
  }

  /** The mark of a saved open alert (absent: none). */
  restore(m: Mark | undefined): void {
    this.held = m;
    this.wait(false, undefined);
  }

  /** The alert closed or was abandoned: the next starts unmarked. */
  clear(): void {
    this.restore(undefined);
  }

  /** As a field of a saved state or a close: absent without one. */
  field(): { marked?: Mark } {
    return this.held ? { marked: this.held } : {};
  }

  /** Whether an anchoring is under way, with the windows to wait for its `done` (twice its length: windows in flight, held ones). */
  private wait(on: boolean, news: MarkNews | undefined): void {
    this.marking = on;
    this.left = on ? 2 * (news?.windows ?? ANCHOR_WINDOWS) + 8 : 0;
  }
}

/** What a close says of a mark: the command and who asked (not the window's news of it). */
function markOf(m: MarkNews): Mark {
  return { command: m.command, ...(m.by !== undefined ? { by: m.by } : {}) };
}
