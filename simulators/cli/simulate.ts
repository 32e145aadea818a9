/** `vigil simulate <replay|synthetic>`: data in motion for the runtime to watch. */
import { Command } from 'commander';
import { replayCommand } from './replay.ts';
import { syntheticCommand } from './synthetic.ts';
import { runProgram } from './options.ts';

/** Entry of `vigil simulate`. */
export function run(args: string[]): Promise<number> {
  const program = new Command('vigil simulate')
    .description('publish sensor data to MQTT: recorded CSV files (replay) or simulated pumps with labelled faults (synthetic)')
    .addCommand(replayCommand())
    .addCommand(syntheticCommand());
  if (args.length === 0) {
    program.outputHelp();
    return Promise.resolve(1);
  }
  return runProgram(program, args);
}
