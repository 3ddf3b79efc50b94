// Exact order statistics of whole-second values held in several lists (the rollup rows a group of
// the analytics adds up): the median and 90th percentile as percentile_disc defines them (the
// smallest value with at least that share of the values at or below it), and how many are at or
// below a limit. Values close together (waits, talk times) are counted in one reused histogram —
// no copy, no sort; values spread wide (resolutions over days) are copied and quickselected.

export interface ValueSummary {
  count: number;
  median: number | null;
  p90: number | null;
  /** How many values are at most the limit asked for. */
  atMost: number;
}

const HISTOGRAM_SIZE = 1 << 16;
const histogram = new Uint32Array(HISTOGRAM_SIZE);

/** The 0-based ranks percentile_disc picks for the median and the 90th percentile of n values. */
const ranks = (n: number) => [Math.ceil(0.5 * n) - 1, Math.ceil(0.9 * n) - 1] as const;

export function summarize(parts: Int32Array[], limit: number): ValueSummary {
  let count = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const part of parts) {
    count += part.length;
    for (let i = 0; i < part.length; i++) {
      const v = part[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (count === 0) return { count, median: null, p90: null, atMost: 0 };
  const span = max - min + 1;
  return span <= HISTOGRAM_SIZE && span <= 4 * count + 1024
    ? byHistogram(parts, count, min, span, limit)
    : bySelection(parts, count, limit);
}

function byHistogram(parts: Int32Array[], count: number, min: number, span: number, limit: number): ValueSummary {
  for (const part of parts) for (let i = 0; i < part.length; i++) histogram[part[i]! - min]!++;
  const [medianRank, p90Rank] = ranks(count);
  let median: number | null = null;
  let p90: number | null = null;
  let atMost = limit < min ? 0 : count;
  let seen = 0;
  for (let i = 0; i < span; i++) {
    seen += histogram[i]!;
    if (median === null && seen > medianRank) median = i + min;
    if (p90 === null && seen > p90Rank) p90 = i + min;
    if (i + min === limit) atMost = seen;
  }
  histogram.fill(0, 0, span);
  return { count, median, p90, atMost };
}

function bySelection(parts: Int32Array[], count: number, limit: number): ValueSummary {
  const all = new Int32Array(count);
  let at = 0;
  let atMost = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
    for (let i = 0; i < part.length; i++) if (part[i]! <= limit) atMost++;
  }
  const [medianRank, p90Rank] = ranks(count);
  const median = kthSmallest(all, medianRank);
  // Quickselect left every value from the median's rank on at or above it: the 90th is among them.
  return { count, median, p90: kthSmallest(all, p90Rank, medianRank), atMost };
}

/** The k-th smallest of values[from..] (0-based), found by moving values (quickselect). */
function kthSmallest(values: Int32Array, k: number, from = 0): number {
  let low = from;
  let high = values.length - 1;
  while (low < high) {
    const pivot = values[(low + high) >> 1]!;
    let i = low;
    let j = high;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i++] = values[j]!;
        values[j--] = swap;
      }
    }
    if (k <= j) high = j;
    else if (k >= i) low = i;
    else return values[k]!;
  }
  return values[k]!;
}
