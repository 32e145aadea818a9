/**
 * runtime/ops/io-first.ts: timed work runs after the I/O that was ready when its timer came due, so a reorder hold
 * that ends during a stall of the event loop does not let a reading go before older ones already in the socket.
 */
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { asyncScheduler, Subscription, type SchedulerLike } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ioFirst } from '../../runtime/ops/io-first.ts';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

/** What happened first after a 60 ms stall: a 5 ms timer's work, or the bytes written to a socket before the stall. */
async function orderAfterStall(scheduler: SchedulerLike): Promise<string[]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = await accepted;
  const seen: string[] = [];
  const done = new Promise<void>((resolve) => {
    const note = (what: string) => {
      seen.push(what);
      if (seen.length === 2) resolve();
    };
    peer.once('data', () => note('socket'));
    scheduler.schedule(() => note('timer'), 5);
  });
  client.write('a reading');
  busy(60);
  await done;
  client.destroy();
  peer.destroy();
  server.close();
  return seen;
}

describe('ioFirst', () => {
  it('runs a timer that came due during a stall after the socket data that arrived during it', async () => {
    // The premise: Node's own timers fire first (this is what the reorder stage met).
    expect(await orderAfterStall(asyncScheduler)).toEqual(['timer', 'socket']);
    expect(await orderAfterStall(ioFirst(asyncScheduler))).toEqual(['socket', 'timer']);
  });

  it('keeps the delay, the state and the clock of its base', async () => {
    const s = ioFirst(asyncScheduler);
    const t0 = s.now();
    const ran = await new Promise<{ state: string; after: number }>((resolve) => {
      s.schedule((state) => resolve({ state: state!, after: s.now() - t0 }), 30, 'held');
    });
    expect(ran.state).toBe('held');
    expect(ran.after).toBeGreaterThanOrEqual(29);
    expect(Math.abs(s.now() - Date.now())).toBeLessThan(5);
  });

  it('cancelled before its timer or between the timer and its turn, the work never runs', async () => {
    // A base whose timers fire when the test says.
    const fired: (() => void)[] = [];
    const base: SchedulerLike = {
      now: () => 0,
      schedule: ((work: (this: unknown, state?: unknown) => void, _delay?: number, state?: unknown) => {
        const action = new Subscription();
        fired.push(() => action.closed || work.call(action, state));
        return action;
      }) as SchedulerLike['schedule'],
    };
    const s = ioFirst(base);
    let runs = 0;
    s.schedule(() => runs++, 10).unsubscribe();
    const between = s.schedule(() => runs++, 10);
    const kept = s.schedule(() => runs++, 10);
    fired.forEach((fire) => fire());
    between.unsubscribe();
    expect(runs).toBe(0); // not yet: after the poll for I/O
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(1); // the one left scheduled
    kept.unsubscribe();
  });
});
