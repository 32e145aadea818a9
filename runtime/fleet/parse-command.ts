/** How both `vigil fleet` command trees (MQTT and JetStream) turn a parse into an exit code. */
import type { Command } from 'commander';

/**
 * Parse and run `args`; undefined when the action ran, else the exit code: 0 after help or version, commander's
 * own for a usage error, 1 with the message on stderr for an error the action threw.
 */
export async function parseFleetCommand(program: Command, args: string[]): Promise<number | undefined> {
  try {
    await program.parseAsync(args, { from: 'user' });
    return undefined;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
    if (e.code?.startsWith('commander.')) return e.exitCode ?? 1;
    process.stderr.write(`vigil fleet: ${e.message}\n`);
    return 1;
  }
}
