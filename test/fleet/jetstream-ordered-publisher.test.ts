/**
 * The bridge's ordered publisher with a scripted store: sensors overlap (many publishes in flight), one sensor's
 * readings never do, a failure halts new publishes and the failed ones are retried oldest first, and a sensor's
 * later readings never overtake a failed one.
 */
import { describe, expect, it } from 'vitest';
import { orderedPublisher } from '../../runtime/fleet/jetstream/ordered-publisher.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

interface Call {
  item: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

function scripted() {
  const calls: Call[] = [];
  const stored: string[] = [];
  const pub = orderedPublisher<string>({
    publish: (item) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ item, resolve: () => (stored.push(item), resolve()), reject });
      }),
    retryMs: 5,
    maxRetryMs: 20,
  });
  const take = (item: string) => {
    const i = calls.findIndex((c) => c.item === item);
    if (i < 0) throw new Error(`${item} is not in flight; in flight: ${calls.map((c) => c.item).join(',')}`);
    return calls.splice(i, 1)[0];
  };
  return { pub, calls, stored, take };
}

describe('orderedPublisher', () => {
  it('publishes different sensors together and one sensor one at a time, in order', async () => {
    const { pub, calls, stored, take } = scripted();
    const acked: string[] = [];
    for (let r = 0; r < 3; r++) for (const s of ['a', 'b', 'c']) pub.push(s, `${s}${r}`, () => acked.push(`${s}${r}`));
    expect(calls.map((c) => c.item)).toEqual(['a0', 'b0', 'c0']);
    take('c0').resolve();
    await waitFor(() => calls.some((c) => c.item === 'c1'), 'c1 in flight');
    expect(calls.map((c) => c.item).sort()).toEqual(['a0', 'b0', 'c1']);
    for (let i = 0; i < 20 && calls.length; i++) {
      calls.shift()!.resolve();
      await new Promise((r) => setImmediate(r));
    }
    expect(stored).toHaveLength(9);
    for (const s of ['a', 'b', 'c']) expect(stored.filter((x) => x[0] === s)).toEqual([`${s}0`, `${s}1`, `${s}2`]);
    expect(acked.sort()).toEqual([...stored].sort());
  });

  it('halts on a failure, retries the oldest failed alone, then the rest; a sensor waits behind its failed reading', async () => {
    const { pub, calls, stored, take } = scripted();
    for (let r = 0; r < 2; r++) for (const s of ['a', 'b', 'c']) pub.push(s, `${s}${r}`, () => {});
    take('b0').reject(new Error('timeout'));
    take('a0').reject(new Error('timeout'));
    take('c0').resolve();
    await new Promise((r) => setImmediate(r));
    expect(pub.halted).toBe(true);
    // c1 may not start while halted; the retry takes a0 (pushed first) alone.
    await waitFor(() => calls.length === 1, 'the probe');
    expect(calls[0].item).toBe('a0');
    calls.shift()!.resolve();
    await waitFor(() => calls.length === 3, 'a1, b0, c1 started');
    expect(pub.halted).toBe(false);
    expect(calls.map((c) => c.item).sort()).toEqual(['a1', 'b0', 'c1']);
    // b1 is not in flight before b0 is stored.
    take('a1').resolve();
    take('c1').resolve();
    take('b0').resolve();
    await waitFor(() => calls.length === 1, 'b1');
    take('b1').resolve();
    await waitFor(() => stored.length === 6, 'all stored');
    for (const s of ['a', 'b', 'c']) expect(stored.filter((x) => x[0] === s)).toEqual([`${s}0`, `${s}1`]);
    expect(pub.retries).toBe(2);
  });

  it('retries a failed probe with a growing delay and settles', async () => {
    const { pub, calls, stored } = scripted();
    pub.push('a', 'a0', () => {});
    calls.shift()!.reject(new Error('down'));
    await waitFor(() => calls.length === 1, 'retry 1');
    calls.shift()!.reject(new Error('down'));
    await waitFor(() => calls.length === 1, 'retry 2');
    calls.shift()!.resolve();
    await pub.settled(1000);
    expect(stored).toEqual(['a0']);
    expect(pub.retries).toBe(2);
    pub.close();
  });
});
