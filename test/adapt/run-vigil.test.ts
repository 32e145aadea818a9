/**
 * The `vigil adapt` child's scheduling (runtime/adapt/run-vigil.ts): on Linux with util-linux's chrt it runs under
 * SCHED_IDLE at the configured nice value, so fine-tuning gets a core only when inference leaves one
 * (bench/adapt-pause.ts).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { idlePrefix, runVigil } from '../../runtime/adapt/run-vigil.ts';

/** Prints `adapt: <policy> <nice>` of its own process, from /proc/self/stat (fields 41 and 19). */
const SELF = "setTimeout(()=>{const f=require('fs').readFileSync('/proc/self/stat','utf8').split(') ')[1].split(' ');console.log('adapt: '+f[38]+' '+f[16])},200)";
const CHRT = ['/usr/bin/chrt', '/bin/chrt'].some((p) => existsSync(p));

describe('adapt child scheduling', () => {
  const prefix = idlePrefix();

  it.skipIf(process.platform !== 'linux' || !CHRT)('on Linux with chrt the child runs under SCHED_IDLE (policy 5) at nice 19; without the prefix, the normal policy', async () => {
    expect(prefix, 'chrt is here: it should be permitted to set SCHED_IDLE').toEqual([expect.stringMatching(/chrt$/), '--idle', '0']);
    const idle = await runVigil([...prefix!, process.execPath, '-e', SELF], [], 10_000, 19).result;
    expect(idle).toMatchObject({ code: 0, line: 'adapt: 5 19' });
    const plain = await runVigil([process.execPath, '-e', SELF], [], 10_000, 0).result;
    expect(plain).toMatchObject({ code: 0, line: 'adapt: 0 0' });
  });
});
