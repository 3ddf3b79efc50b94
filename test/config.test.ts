// The environment is read in one place, src/config.ts: the worker's ingest limits included (they
// were read by the dispatcher at import time).
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_INGEST_LIMITS, loadConfig } from "../src/config.ts";

describe("ingest limits from the environment", () => {
  it("default to 500 notifications per transaction and 4 bursts at once", () => {
    expect(loadConfig({}).ingest).toEqual({ maxBatch: 500, maxConcurrentBursts: 4 });
    expect(DEFAULT_INGEST_LIMITS).toEqual({ maxBatch: 500, maxConcurrentBursts: 4 });
    const unset = loadConfig({ SWITCHBOARD_INGEST_BATCH: "", SWITCHBOARD_INGEST_CONCURRENCY: " " });
    expect(unset.ingest).toEqual(DEFAULT_INGEST_LIMITS);
  });

  it("take SWITCHBOARD_INGEST_BATCH and SWITCHBOARD_INGEST_CONCURRENCY", () => {
    const config = loadConfig({ SWITCHBOARD_INGEST_BATCH: "50", SWITCHBOARD_INGEST_CONCURRENCY: "1" });
    expect(config.ingest).toEqual({ maxBatch: 50, maxConcurrentBursts: 1 });
  });

  it("reject values that are not whole numbers from 1, naming the variable", () => {
    for (const [name, value] of [
      ["SWITCHBOARD_INGEST_BATCH", "0"],
      ["SWITCHBOARD_INGEST_BATCH", "many"],
      ["SWITCHBOARD_INGEST_CONCURRENCY", "-2"],
      ["SWITCHBOARD_INGEST_CONCURRENCY", "1.5"],
    ] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(`${name}: must be a whole number from 1 up`);
    }
  });
});
