/**
 * Console output for a live session: event lines scroll, and on a terminal one status line stays at the
 * bottom (rewritten in place), so progress and alerts never garble each other. Off a terminal, only lines.
 */

/** A console with a sticky status line. */
export interface LiveConsole {
  /** Print a line above the status line. */
  line(text: string): void;
  /** Replace the status line (ignored off a terminal). */
  status(text: string): void;
  /** Remove the status line. */
  clear(): void;
}

/** Create one on `out` (default stdout). */
export function createLiveConsole(out: NodeJS.WriteStream = process.stdout): LiveConsole {
  const tty = Boolean(out.isTTY);
  let current = '';
  const erase = () => { if (tty && current) out.write('\r\x1b[2K'); };
  const draw = () => { if (tty && current) out.write(current.slice(0, Math.max(20, (out.columns || 120) - 1))); };
  return {
    line(text) {
      erase();
      out.write(`${text}\n`);
      draw();
    },
    status(text) {
      if (!tty) return;
      erase();
      current = text;
      draw();
    },
    clear() {
      erase();
      current = '';
    },
  };
}
