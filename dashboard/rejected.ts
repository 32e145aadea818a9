/** What the dashboard remembers of messages the runtime set aside: the last few, previewed, and counts by reason. */
import type { Rejected } from '@vigil/runtime/stream/types.ts';
import { PointRing } from './ring.ts';

/** A message set aside, as the page shows it (payload cut to a readable preview). */
export interface RejectedNote {
  at: number;
  reason: string;
  detail: string;
  topic: string;
  preview: string;
}

/** The last 20 messages set aside and a count per reason since start. */
export class RejectedLog {
  private readonly ring = new PointRing<RejectedNote>(20);
  private readonly byReason = new Map<string, number>();

  /** Record a message the runtime set aside. */
  add(r: Rejected): void {
    this.byReason.set(r.reason, (this.byReason.get(r.reason) ?? 0) + 1);
    let preview = '';
    if (r.payload) {
      const head = r.payload.subarray(0, 120);
      // Text payloads read as text; binary ones (Sparkplug) as hex.
      const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
      preview = /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text) ? Array.from(head.subarray(0, 40), (b) => b.toString(16).padStart(2, '0')).join(' ') : text;
      if (r.payload.length > head.length) preview += '…';
    }
    this.ring.push({ at: r.receivedAt, reason: r.reason, detail: r.detail, topic: r.topic, preview });
  }

  /** Recent messages set aside (newest first) and counts by reason. */
  snapshot(): { recent: RejectedNote[]; byReason: Record<string, number> } {
    return { recent: this.ring.since().reverse(), byReason: Object.fromEntries(this.byReason) };
  }
}
