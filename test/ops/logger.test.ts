/** The runtime's logger: info lines may wait to share a write, warnings and errors are written at once. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/ops/logger.ts';

describe('vigil logger', () => {
  it('flushes its destination after every warning or error (its own or a child logger\'s), not after info lines', () => {
    const lines: string[] = [];
    let flushes = 0;
    const log = createLogger('info', { write: (s: string) => void lines.push(s), flush: () => void flushes++ } as never);
    log.info('one');
    log.info({ alert: { sensor: 's1' } }, 'alert open');
    expect(flushes).toBe(0);
    log.warn('two');
    expect(flushes).toBe(1);
    log.error({ err: 'x' }, 'three');
    log.child({ part: 'intake' }).warn('four');
    expect(flushes).toBe(3);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['one', 'alert open', 'two', 'three', 'four']);
    // Secrets are still censored wherever the paths reach.
    log.info({ broker: { password: 'hunter2' } }, 'connect');
    expect(lines.at(-1)).not.toContain('hunter2');
  });
});
