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

describe("overload limits from the environment", () => {
  it("default to 1200 operations per token per minute and 64 requests in flight", () => {
    expect(loadConfig({}).overload).toEqual({ requestsPerMinutePerToken: 1200, maxInFlightRequests: 64 });
  });

  it("take RATE_LIMIT_REQUESTS_PER_MINUTE and MAX_IN_FLIGHT_REQUESTS, 0 turning either off", () => {
    const config = loadConfig({ RATE_LIMIT_REQUESTS_PER_MINUTE: "0", MAX_IN_FLIGHT_REQUESTS: "0" });
    expect(config.overload).toEqual({ requestsPerMinutePerToken: 0, maxInFlightRequests: 0 });
  });

  it("reject values that are not whole numbers from 0, naming the variable", () => {
    for (const name of ["RATE_LIMIT_REQUESTS_PER_MINUTE", "MAX_IN_FLIGHT_REQUESTS"]) {
      expect(() => loadConfig({ [name]: "-1" })).toThrow(`${name}: must be a whole number from 0 up`);
      expect(() => loadConfig({ [name]: "lots" })).toThrow(ConfigError);
    }
  });
});

describe("the installation's region from the environment", () => {
  it("defaults to US and takes a country code in either case", () => {
    expect(loadConfig({}).defaultRegion).toBe("US");
    expect(loadConfig({ DEFAULT_REGION: "gb" }).defaultRegion).toBe("GB");
  });

  it("rejects what is not a country code libphonenumber knows, naming the variable", () => {
    for (const value of ["UK", "XX", "France", ""]) {
      expect(() => loadConfig({ DEFAULT_REGION: value })).toThrow("DEFAULT_REGION: must be a two-letter country code");
    }
  });
});
