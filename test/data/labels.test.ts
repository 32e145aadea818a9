/** Labels in a series (runtime/data/labels.ts): any label column LABEL_COLUMNS names, and what a cell counts as; as bands (`vigil score --report`). */
import { describe, expect, it } from 'vitest';
import { labelMarks } from '../../runtime/data/labels.ts';
import { labelSpans } from '../../dashboard/spans.ts';
import { parseCsv } from '../../runtime/data/csv.ts';

describe('label spans', () => {
  it('reads SKAB-style 0.0 / 1.0 cells from a column named anomaly (a 0.0 cell marks nothing)', () => {
    const s = parseCsv(['timestamp,x,anomaly', ...[0, 0, 1, 1, 0, 1, 0].map((a, i) => `${1000 * (i + 1)},${i},${a.toFixed(1)}`)].join('\n'));
    const t = s.timestamps;
    expect(labelSpans(s)).toEqual([{ start: t[2], end: t[3] }, { start: t[5], end: t[5] }]);
  });

  it('takes the first label column by LABEL_COLUMNS order, in any case, and words as well as numbers', () => {
    const s = parseCsv(['timestamp,x,Fault,Label', '1000,1,3,normal', '2000,2,0,yes', '3000,3,0,false'].join('\n'));
    expect(labelSpans(s)).toEqual([{ start: s.timestamps[1], end: s.timestamps[1] }]);
    expect(['1', '1.0', '3', 'true', 'anomaly', 'yes'].map(labelMarks)).toEqual([true, true, true, true, true, true]);
    expect(['', ' ', '0', '0.0', 'false', 'No', 'normal', undefined, 'OK', 'none', 'nominal', 'NaN', 'n/a'].map(labelMarks)).toEqual(Array(13).fill(false));
    // Words an export writes for a healthy row (a review: `vigil evaluate` read them as faults once it used this rule).
    expect(['good', 'Pass', 'passed', 'healthy'].map(labelMarks)).toEqual([false, false, false, false]);
  });

  it('has no spans without a label column', () => {
    expect(labelSpans(parseCsv('timestamp,x\n1000,1\n2000,2'))).toEqual([]);
  });
});
