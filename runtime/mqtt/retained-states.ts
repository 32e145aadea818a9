/**
 * The alert state a sensor's alert topic holds retained (alerts.retain): its open alert's latest event (open or
 * escalate) until the close, which leaves the close retained. A broker that restarts without its store (no
 * persistence, or killed before it saved) forgets every retained message, and a subscriber that arrives after (a SCADA
 * restarted) sees no alert where one is open (a probe: 3 of 25 open alerts had none after such a restart). The sink
 * keeps the open ones' last events here and sends them again when the broker answers that it kept nothing of ours.
 */
import type { AlertMessage } from './alert-sink.ts';

/** Per alert topic, the last event of the alert open on it. */
export class RetainedStates {
  private readonly open = new Map<string, AlertMessage>();

  /** An alert event was published: an open or escalation is the topic's state now; a close clears it. */
  note(item: AlertMessage, type: string): void {
    if (type === 'close') this.open.delete(item.topic);
    else if (type === 'open' || type === 'escalate') this.open.set(item.topic, item);
  }

  /** Copies of the open alerts' last events, to publish again (retained) in the order they were made. */
  again(): AlertMessage[] {
    return [...this.open.values()].map((m) => ({ ...m }));
  }

  get size(): number {
    return this.open.size;
  }
}
