/**
 * The one `vigil` dispatcher: each command lives beside its domain and exports `run(args)`.
 * Modules are imported lazily so a gateway without `@vigil/train` installed can still `vigil run`.
 */
export interface CommandModule {
  /** Run the command with its own argv (after the command name); resolves to an exit code. */
  run(args: string[]): Promise<number | void>;
}

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

/** Every command, its one-line summary, and where it lives. */
export const COMMANDS: Record<string, CommandEntry> = {
  train: { summary: 'fit an autoencoder on a CSV and export NAME.onnx + NAME.json', load: () => import('../train/cli.ts') },
  adapt: { summary: 'fine-tune a model on recent normal data, validated before it replaces the served pair; adapt rollback undoes it', load: () => import('../train/adapt/cli.ts') },
  score: { summary: 'score a CSV offline with a model, same components as the live runtime', load: () => import('../runtime/cli/score.ts') },
  run: { summary: 'run the live detector: MQTT in, ONNX inference, adaptive thresholds, alerts out', load: () => import('../runtime/cli/run.ts') },
  evaluate: { summary: 'NAB benchmark score (nab) or metrics against labelled data (labels)', load: () => import('../evaluate/cli.ts') },
  simulate: { summary: 'publish data to MQTT: replay recorded CSV, or synthetic pumps with labelled faults', load: () => import('../simulators/cli/simulate.ts') },
  broker: { summary: 'run an embedded MQTT broker (aedes)', load: () => import('../simulators/cli/broker.ts') },
  fleet: { summary: 'several vigil run workers on one fleet: sensor partitions, members and owners, partition bridge', load: () => import('../runtime/fleet/cli.ts') },
  alerts: { summary: 'print alert open/close events from the broker, readable at a glance', load: () => import('../simulators/cli/alerts.ts') },
  demo: { summary: 'the whole thing in one command: broker, runtime, replay of a real failure, live alerts (npm start)', load: () => import('../simulators/cli/demo.ts') },
  latent: { summary: 'draw every window as a dot in the model\'s latent space (PNG, SVG or HTML), anomalies ringed', load: () => import('../train/cli/latent.ts') },
  denoise: { summary: 'write the model\'s reconstruction of a CSV (one row per input row, original units)', load: () => import('../train/cli/denoise.ts') },
  encode: { summary: 'write the latent code of every window, with compression ratio and reconstruction error', load: () => import('../train/cli/encode.ts') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'vigil: edge anomaly detection for sensor time series',
    '',
    'Usage: vigil <command> [options]     (vigil <command> --help for its options)',
    '',
    'Commands:',
    ...lines,
    '',
  ].join('\n');
}

/** Dispatch argv to a command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-V') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`vigil: unknown command '${name}'. Expected one of: ${Object.keys(COMMANDS).join(', ')}\n\n${usage()}`);
    return 2;
  }
  let mod: CommandModule;
  try {
    mod = await entry.load();
  } catch (err) {
    // A package without the command's folder (vigil-gateway has the runtime only: run, score, fleet) says so, not a stack.
    const e = err as { code?: string; message?: string };
    if (e.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    const installed = Object.keys(COMMANDS).filter((c) => c === 'run' || c === 'score' || c === 'fleet');
    process.stderr.write(`vigil ${name}: not installed here (${(e.message ?? '').split('\n')[0]}). A gateway install (vigil-gateway) has ${installed.join(', ')}; ${name} needs a clone of the repository (docs/install.md)\n`);
    return 2;
  }
  try {
    const code = await mod.run(rest);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    // commander has already printed help or its own message; keep its exit code (0 for --help).
    const c = err as Error & { code?: string; exitCode?: number };
    if (c.code?.startsWith('commander.')) return c.exitCode ?? 1;
    process.stderr.write(`vigil ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.VIGIL_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
