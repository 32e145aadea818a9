/** `vigil broker`: an embedded MQTT broker (aedes) for demos, tests and small sites without Mosquitto. */
import { Command } from 'commander';
import { startBroker } from '../broker/aedes.ts';
import { parsePort, runProgram } from './options.ts';

/** Entry of `vigil broker`. */
export function run(args: string[]): Promise<number> {
  const program = new Command('vigil broker')
    .description('run an embedded MQTT 3.1.1 broker (aedes; no MQTT 5, no $share: use Mosquitto for those)')
    .option('--port <n>', 'TCP port (0 = any free port)', parsePort, 1883)
    .option('--host <addr>', 'address to listen on (0.0.0.0 serves the network)', '127.0.0.1')
    .action(async (o: { port: number; host: string }) => {
      const broker = await startBroker({ port: o.port, host: o.host });
      process.stderr.write(`MQTT broker listening on mqtt://${o.host}:${broker.port} (Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await broker.close();
      process.stderr.write('broker stopped\n');
    });
  return runProgram(program, args);
}
