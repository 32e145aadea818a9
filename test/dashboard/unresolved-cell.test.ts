/** The live page's cell of an alert closed unresolved names why: an evicted sensor's close was shown as "silent". */
import { describe, expect, it } from 'vitest';
import { unresolvedCell } from '../../dashboard/page/format.ts';

describe('unresolved alert cell', () => {
  it('says silent or evicted, with what it means in its title', () => {
    expect(unresolvedCell('silent', 90_000)).toMatch(/^<span title="closed unresolved: its sensor went silent for good \(seen for .+\)">unresolved, silent<\/span>$/);
    expect(unresolvedCell('evicted', 90_000)).toMatch(/^<span title="closed unresolved: vigil stopped watching its sensor, evicted to make room for a new one \(window\.maxSensors\) \(seen for .+\)">unresolved, evicted<\/span>$/);
  });
});
