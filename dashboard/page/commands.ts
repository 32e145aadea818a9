/**
 * The live page's word on the selected sensor (runtime/ops/re-anchors.ts, commands.ts): **mark normal**, its present
 * behaviour is normal (a level that moved on while an incident held tracking still, a new duty), and **back to
 * training**, its level is the trained one again (after a repair, or a mark made in error). Each is posted to the
 * server as `POST sensors/NAME/normal` or `/trained` after the operator confirms what it does. Shown only where the
 * server takes them (behind a token, for a model that follows a level); the answer or refusal is written below the
 * facts until the re-anchoring it started is done or another sensor is selected.
 */
import type { TickMessage } from '../server.ts';

const CONFIRM = {
  normal: (sensor: string) =>
    `Treat ${sensor}'s present behaviour as normal?\n\nvigil sets its tracked level from its next 16 windows; an open alert then closes, ` +
    'and a change from this level alerts again. A fault present now would no longer alert. Logged with your address.',
  trained: (sensor: string) =>
    `Send ${sensor} back to its trained level?\n\nvigil forgets the level it learnt or was told for this sensor and judges it against ` +
    'training again (after a repair, or a mark made in error). Logged with your address.',
};

/** The buttons' state for the latest tick; what was said clears once its re-anchoring is done or another sensor is selected. */
export function showCommands(buttons: HTMLElement[], said: HTMLElement, msg: TickMessage): void {
  for (const b of buttons) b.hidden = !(msg.status.commands && msg.selected);
  const mine = said.dataset.sensor === msg.selected?.name;
  if (mine && msg.selected?.anchoring) said.dataset.seen = '1';
  if (!mine || (said.dataset.seen === '1' && !msg.selected?.anchoring)) {
    said.textContent = '';
    delete said.dataset.sensor;
    delete said.dataset.seen;
  }
}

/** Wire a button to its command: confirm, post, and say what came back in `said`. */
export function mountCommand(button: HTMLElement, what: 'normal' | 'trained', said: HTMLElement, selected: () => string | null): void {
  button.addEventListener('click', async () => {
    const sensor = selected();
    if (!sensor || !confirm(CONFIRM[what](sensor))) return;
    said.dataset.sensor = sensor;
    delete said.dataset.seen;
    button.setAttribute('disabled', '');
    try {
      const res = await fetch(`sensors/${encodeURIComponent(sensor)}/${what}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const body = (await res.json().catch(() => ({}))) as { message?: string; error?: string };
      said.textContent = res.ok ? (body.message ?? 'done') : `refused: ${body.error ?? `HTTP ${res.status}`}`;
    } catch (err) {
      said.textContent = `not sent: ${(err as Error).message}`;
    } finally {
      button.removeAttribute('disabled');
    }
  });
}
