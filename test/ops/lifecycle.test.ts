/** Lifecycle: parts start in order and stop in reverse, after a failed start and a normal stop alike. */
import { describe, expect, it } from 'vitest';
import { Lifecycle, type Part } from '../../runtime/ops/lifecycle.ts';

/** Parts that record what happens to them; `failStart`/`failStop` name the parts that throw. */
function recorded(names: string[], fail: { start?: string[]; stop?: string[] } = {}) {
  const log: string[] = [];
  const parts: Part[] = names.map((name) => ({
    name,
    async start() {
      await Promise.resolve();
      log.push(`start ${name}`);
      if (fail.start?.includes(name)) throw new Error(`${name} would not start`);
    },
    stop() {
      log.push(`stop ${name}`);
      if (fail.stop?.includes(name)) throw new Error(`${name} would not stop`);
    },
  }));
  return { log, parts };
}

describe('Lifecycle', () => {
  it('starts parts in order and stops them in reverse', async () => {
    const { log, parts } = recorded(['a', 'b', 'c']);
    const life = new Lifecycle(parts);
    await life.start();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    await life.stop();
    expect(log.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
  });

  it('after a failed start stops the failed part and those before it, in reverse, and throws the start error', async () => {
    const { log, parts } = recorded(['a', 'b', 'c', 'd'], { start: ['c'] });
    const cleanup: Error[] = [];
    const life = new Lifecycle(parts, { onCleanupError: (e) => cleanup.push(e) });
    await expect(life.start()).rejects.toThrow('c would not start');
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    expect(cleanup).toEqual([]);
  });

  it('runs every stop even when some throw, and reports each failure by part name', async () => {
    const { log, parts } = recorded(['a', 'b', 'c'], { stop: ['a', 'c'] });
    const life = new Lifecycle(parts);
    await life.start();
    const err = await life.stop().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(log.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(['c: c would not stop', 'a: a would not stop']);
    expect((err as Error).message).toBe('2 parts failed to stop: c: c would not stop; a: a would not stop');
  });

  it('names the one part that failed to stop', async () => {
    const { parts } = recorded(['a', 'b'], { stop: ['b'] });
    const life = new Lifecycle(parts);
    await life.start();
    await expect(life.stop()).rejects.toThrow(/^b: b would not stop$/);
  });

  it('hands stop failures after a failed start to onCleanupError, and still throws the start error', async () => {
    const { log, parts } = recorded(['a', 'b'], { start: ['b'], stop: ['a'] });
    const cleanup: Error[] = [];
    const life = new Lifecycle(parts, { onCleanupError: (e) => cleanup.push(e) });
    await expect(life.start()).rejects.toThrow('b would not start');
    expect(log).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(cleanup.map((e) => e.message)).toEqual(['a: a would not stop']);
  });

  it('stops once however often stop is called, and parts without start or stop are fine', async () => {
    const { log, parts } = recorded(['a']);
    const life = new Lifecycle([{ name: 'bare' }, ...parts]);
    await life.start();
    await Promise.all([life.stop(), life.stop()]);
    await life.stop();
    expect(log).toEqual(['start a', 'stop a']);
  });
});
