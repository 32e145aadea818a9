/**
 * The live page's Mark normal: the selected sensor's present behaviour is normal (a level that moved on while an
 * incident held tracking still, a new duty), posted to the server as `POST sensors/NAME/normal` (runtime/ops/commands.ts,
 * re-anchors.ts) after the operator confirms what it does. Shown only when a runtime behind the page takes commands;
 * its answer (or refusal) is written beside the button.
 */
import type { TickMessage } from '../server.ts';

/** The button's state for the latest tick: shown for a selected sensor when the runtime takes commands; what was said of another sensor goes. */
export function showMarkNormal(button: HTMLElement, said: HTMLElement, msg: TickMessage): void {
  button.hidden = !(msg.status.commands && msg.selected);
  if (said.dataset.sensor !== msg.selected?.name) said.textContent = '';
}

/** Wire the button: confirm, post, and say what came back in `said`. */
export function mountMarkNormal(button: HTMLElement, said: HTMLElement, selected: () => string | null): void {
  button.addEventListener('click', async () => {
    const sensor = selected();
    if (!sensor) return;
    const sure = confirm(
      `Treat ${sensor}'s present behaviour as normal?\n\nvigil sets its tracked level from its next 16 windows; an open alert then closes, ` +
        'and a change from this level alerts again. A fault present now would no longer alert. Logged with your address.',
    );
    if (!sure) return;
    said.dataset.sensor = sensor;
    button.setAttribute('disabled', '');
    try {
      const res = await fetch(`sensors/${encodeURIComponent(sensor)}/normal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const body = (await res.json().catch(() => ({}))) as { message?: string; error?: string };
      said.textContent = res.ok ? (body.message ?? 'marked normal') : `not marked: ${body.error ?? `HTTP ${res.status}`}`;
    } catch (err) {
      said.textContent = `not marked: ${(err as Error).message}`;
    } finally {
      button.removeAttribute('disabled');
    }
  });
}
