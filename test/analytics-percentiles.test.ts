// The order statistics the analytics compute from rollup value lists equal a sort of the values,
// on both paths: the histogram (values close together) and quickselect (values spread wide).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { summarize } from "../src/domain/analytics/percentiles.ts";

function bySorting(values: number[], limit: number) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length ? sorted[Math.ceil(p * sorted.length) - 1]! : null);
  return { count: sorted.length, median: at(0.5), p90: at(0.9), atMost: sorted.filter((v) => v <= limit).length };
}

const lists = (max: number) => fc.array(fc.array(fc.integer({ min: 0, max }), { maxLength: 40 }), { maxLength: 8 });

describe("order statistics of value lists", () => {
  it("equal a sort of all the values, close together or spread over days, whatever the limit", () => {
    for (const max of [5, 900, 400_000]) {
      fc.assert(
        fc.property(lists(max), fc.integer({ min: -1, max: max + 1 }), (parts, limit) => {
          const expected = bySorting(parts.flat(), limit);
          expect(summarize(parts.map((p) => Int32Array.from(p)), limit)).toEqual(expected);
          // The histogram is reused: a second call gives the same answer.
          expect(summarize(parts.map((p) => Int32Array.from(p)), limit)).toEqual(expected);
        }),
        { numRuns: 200 },
      );
    }
  });
});
