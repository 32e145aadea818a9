/**
 * The live page's word on the selected sensor (runtime/ops/re-anchors.ts, commands.ts): **mark normal**, its present
 * behaviour is normal (a level that moved on while an incident held tracking still, a new duty), and **back to
 * training**, its level is the trained one again (after a repair, or a mark made in error), and **maintenance**, its
 * alerts muted for the minutes the operator gives (runtime/alerts/maintenance.ts; 0 ends it). Each is posted to the
 * server as `POST sensors/NAME/normal`, `/trained` or `/maintenance` after the operator confirms what it does. Shown only where the
 * server takes them (behind a token, for a model that follows a level); the answer or refusal is written below the
 * facts for a few seconds, or until the re-anchoring it started is done, or another sensor is selected.
 */
import type { TickMessage } from '../server.ts';
import { ANCHOR_WINDOWS } from '@vigil/runtime/scoring/re-anchor.ts';

const CONFIRM = {
  normal: (sensor: string) =>
    `Treat ${sensor}'s present behaviour as normal?\n\nvigil sets its tracked level from its next ${ANCHOR_WINDOWS} windows; an open alert then closes, ` +
    'and a change from this level alerts again. A fault present now would no longer alert. Logged with your address.',
  trained: (sensor: string) =>
    `Send ${sensor} back to its trained level?\n\nvigil forgets the level it learnt or was told for this sensor and judges it against ` +
    'training again (after a repair, or a mark made in error). Logged with your address.',
};

/** What the maintenance button asks (its answer, in minutes, is the command's length). */
const ASK_MINUTES = (sensor: string) =>
  `Mute ${sensor}'s alerts for how many minutes?\n\nIts windows are still scored and shown, but open no alert until then; an open alert ` +
  'closes now, saying so. Nothing learns from them as normal. 0 ends a maintenance set before. Logged with your address.';

/** How long an answer shows at least (a return to training is done at the next window, often before the next tick). */
const SHOW_MS = 8000;

/** The buttons' state for the latest tick; what was said clears once shown a while and no re-anchoring is in progress, or when another sensor is selected. */
export function showCommands(buttons: HTMLElement[], said: HTMLElement, msg: TickMessage): void {
  for (const b of buttons) b.hidden = !(msg.status.commands && msg.selected);
  const mine = said.dataset.sensor === msg.selected?.name;
  if (!mine || (!msg.selected?.anchoring && Date.now() > Number(said.dataset.until ?? 0))) {
    said.textContent = '';
    delete said.dataset.sensor;
  }
}

/** Wire a button to its command: confirm, post, and say what came back in `said`. */
export function mountCommand(button: HTMLElement, what: 'normal' | 'trained' | 'maintenance', said: HTMLElement, selected: () => string | null): void {
  button.addEventListener('click', async () => {
    const sensor = selected();
    if (!sensor) return;
    let sent = '{}';
    if (what === 'maintenance') {
      const minutes = prompt(ASK_MINUTES(sensor), '60');
      if (minutes === null || minutes.trim() === '') return;
      // What was typed goes as it is (a number, or text the server refuses and says why).
      sent = JSON.stringify({ minutes: Number.isFinite(Number(minutes)) ? Number(minutes) : minutes });
    } else if (!confirm(CONFIRM[what](sensor))) return;
    said.dataset.sensor = sensor;
    said.dataset.until = String(Date.now() + SHOW_MS);
    button.setAttribute('disabled', '');
    try {
      const res = await fetch(`sensors/${encodeURIComponent(sensor)}/${what}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent });
      const body = (await res.json().catch(() => ({}))) as { message?: string; error?: string };
      said.textContent = res.ok ? (body.message ?? 'done') : `refused: ${body.error ?? `HTTP ${res.status}`}`;
    } catch (err) {
      said.textContent = `not sent: ${(err as Error).message}`;
    } finally {
      said.dataset.until = String(Date.now() + SHOW_MS);
      button.removeAttribute('disabled');
    }
  });
}
