/**
 * `vigil score`'s alert column across a gap that restarts the window: the alert stays open (the tracker closes only
 * after quiet windows, as live), so the rows that refill the window are inside it. A probe: the column read 0 for
 * those W - 1 rows and 1 after, so `vigil evaluate labels` counted two alerts (one false) where the summary said 1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scoreCsv } from '../../runtime/cli/score.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const T0 = Date.UTC(2026, 0, 1);
const W = 4;

describe('vigil score: an alert open across a gap', () => {
  it('keeps the alert column at 1 on the rows that refill the window after the gap, one opening per alert', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-score-gap-'));
    const model = writeTinyModel(dir, { name: 'g', window: W, channels: ['a'], layers: [meanLayer(W, 1)], threshold: 3 });
    // Every window anomalous (a window-mean model scores 0/10 alternation at ~25, over 2x the bar): 20 rows, a gap of
    // 100 s (far over a whole window), 20 more rows.
    const at = (i: number) => T0 + (i < 20 ? i : i + 100) * 1000;
    const path = join(dir, 'gap.csv');
    writeFileSync(path, `timestamp,a\n${Array.from({ length: 40 }, (_, i) => `${new Date(at(i)).toISOString()},${(i % 2) * 10}`).join('\n')}\n`);
    const res = await scoreCsv({ model, data: path, providers: ['cpu'], gapResetMs: 10_000 });

    expect(res.events.filter((e) => e.type === 'open')).toHaveLength(1);
    expect(res.events.filter((e) => e.type === 'close')).toHaveLength(0);
    // The refill rows after the gap (20 .. 20 + W - 2) are not scored, yet inside the open alert.
    for (let r = 20; r < 20 + W - 1; r++) expect(res.scored[r]).toBe(0);
    const alerts = Array.from(res.alerts);
    const firstOpen = alerts.indexOf(1);
    expect(firstOpen).toBe(W - 1);
    expect(alerts.slice(firstOpen)).toEqual(alerts.slice(firstOpen).map(() => 1));
    const openings = alerts.filter((a, r) => a === 1 && (r === 0 || alerts[r - 1] === 0)).length;
    expect(openings).toBe(1);
  });
});
