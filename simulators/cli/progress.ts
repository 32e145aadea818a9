/**
 * Progress for long simulator runs: a cli-progress bar on a terminal, a plain status line every few seconds
 * otherwise (logs and CI), so a run never looks hung and never floods a log file.
 */
import cliProgress from 'cli-progress';

/** Values shown on each update. */
export interface ProgressValues {
  value: number;
  total: number;
  /** Extra fields referenced in the format as `{name}`. */
  fields: Record<string, string | number>;
}

/** A progress display. */
export interface Progress {
  update(v: ProgressValues): void;
  stop(): void;
}

/** Create a bar when stderr is a terminal (and `enabled`), else a line every `everyMs`. */
export function createProgress(label: string, format: string, opts: { enabled?: boolean; everyMs?: number } = {}): Progress {
  const enabled = opts.enabled ?? true;
  if (!enabled) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} |{bar}| {percentage}% {value}/{total} ${format}`, hideCursor: true, stream: process.stderr, fps: 5, etaBuffer: 200 },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(v) {
        if (!started) { bar.start(v.total, v.value, v.fields); started = true; }
        bar.setTotal(v.total);
        bar.update(v.value, v.fields);
      },
      stop() { if (started) bar.stop(); },
    };
  }
  const every = opts.everyMs ?? 5000;
  let last = 0;
  let latest: ProgressValues | null = null;
  const line = (v: ProgressValues) => {
    const text = format.replace(/\{(\w+)\}/g, (_, k: string) => String(k === 'value' ? v.value : k === 'total' ? v.total : v.fields[k] ?? ''));
    process.stderr.write(`${label} ${v.value}/${v.total} ${text}\n`);
  };
  return {
    update(v) {
      latest = v;
      const now = Date.now();
      if (now - last >= every) { last = now; line(v); }
    },
    stop() { if (latest) line(latest); },
  };
}
