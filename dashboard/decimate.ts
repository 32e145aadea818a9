/**
 * Thin long series for reports without hiding what matters: a plot 1,400 px wide cannot show 100,000 points,
 * but it must still show the one spike among them. Raw rows keep each bucket's minimum and maximum per
 * channel; scored windows keep each bucket's worst window (with its threshold and decision).
 */

/** Keep at most ~`maxPoints` raw rows ([ts, ...values]) as per-bucket minimum and maximum rows, in time order. */
export function decimateRaw(rows: number[][], maxPoints: number): number[][] {
  if (rows.length <= maxPoints || maxPoints < 4) return rows;
  const buckets = Math.floor(maxPoints / 2);
  const size = rows.length / buckets;
  const width = rows[0]?.length ?? 1;
  const out: number[][] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.min(rows.length, Math.floor((b + 1) * size));
    if (to <= from) continue;
    // Per channel, the bucket's extremes; the first and last timestamps carry them so the line keeps its shape.
    const lo = rows[from].slice();
    const hi = rows[from].slice();
    for (let r = from + 1; r < to; r++) {
      for (let c = 1; c < width; c++) {
        const v = rows[r][c];
        if (!Number.isFinite(v)) continue;
        if (!(v >= lo[c])) lo[c] = v;
        if (!(v <= hi[c])) hi[c] = v;
      }
    }
    lo[0] = rows[from][0];
    hi[0] = rows[to - 1][0];
    out.push(lo);
    if (to - from > 1) out.push(hi);
  }
  return out;
}

/**
 * Keep at most ~`maxPoints` scored windows ([ts, score, threshold, anomaly]): per bucket the quietest window and
 * the worst one (an anomalous window outranks a higher quiet one, so no flagged window disappears), in time order.
 */
export function decimateScores<T extends [number, number, number, number]>(rows: T[], maxPoints: number): T[] {
  if (rows.length <= maxPoints || maxPoints < 4) return rows;
  const buckets = Math.floor(maxPoints / 2);
  const size = rows.length / buckets;
  const out: T[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.min(rows.length, Math.floor((b + 1) * size));
    if (to <= from) continue;
    let best = from;
    let low = from;
    for (let r = from + 1; r < to; r++) {
      if (rows[r][3] > rows[best][3] || (rows[r][3] === rows[best][3] && rows[r][1] > rows[best][1])) best = r;
      if (rows[r][1] < rows[low][1]) low = r;
    }
    if (low !== best) out.push(rows[Math.min(low, best)], rows[Math.max(low, best)]);
    else out.push(rows[best]);
  }
  return out;
}
