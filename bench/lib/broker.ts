/**
 * A Mosquitto of the bench's own, on a free port, with TCP_NODELAY (`set_tcp_nodelay true`) and no persistence
 * unless asked, so latency is not Nagle's and no other run shares its topics. Needs the `mosquitto` binary (as the system broker).
 */
import { startMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { cliArg } from './child.ts';

/** A running bench broker. */
export interface BenchBroker {
  url: string;
  port: number;
  /** End it (SIGTERM). */
  stop: () => Promise<void>;
  /** Kill it without warning (SIGKILL: no final save), as a crash or power loss does. */
  kill9: () => Promise<void>;
  /** Start it again on the same port and config (after `kill9` or `stop`). */
  restart: () => Promise<void>;
}

/**
 * Start the broker (fixtures/mosquitto.ts) with TCP_NODELAY and no limit on queued messages; resolves once it
 * listens. With `persistence`, sessions and queued QoS 1 messages are saved every second (autosave_interval 1), so
 * a kill -9 loses at most the last second's changes.
 */
export async function startBroker(opts: { persistence?: boolean } = {}): Promise<BenchBroker> {
  const m = await startMosquitto({ persistence: opts.persistence ?? false, autosaveS: opts.persistence ? 1 : undefined, tcpNoDelay: true, maxQueued: 0 });
  return { url: m.url, port: m.port, stop: m.stop, kill9: m.kill, restart: m.start };
}

/** The broker a bench run uses: the one `--broker URL` names (`given`; left running at `stop`), else its own. */
export async function benchBroker(): Promise<{ url: string; port: number; given: string; stop: () => Promise<void> }> {
  const given = cliArg('broker', '');
  if (given) return { url: given, port: Number(new URL(given).port || 1883), given, stop: async () => {} };
  const own = await startBroker();
  return { url: own.url, port: own.port, given, stop: own.stop };
}
