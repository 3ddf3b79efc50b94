// `npm run bench`: every scenario, one after the other, each in its own process (a fresh database
// and a clean heap per scenario). BENCH_ONLY=ring-latency,fan-out picks some. Sizes come from each
// scenario's BENCH_* variables (bench/README.md).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { benchDir } from "./harness.ts";

export const SCENARIOS = ["ring-latency", "ingest", "fan-out", "inbox-query", "memory", "cli-start", "rules"] as const;

const only = process.env.BENCH_ONLY?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const failed: string[] = [];
for (const scenario of SCENARIOS) {
  if (only && !only.includes(scenario)) continue;
  const script = path.join(benchDir, `${scenario}.ts`);
  if (!fs.existsSync(script)) {
    console.log(`\n== ${scenario}: no ${path.relative(process.cwd(), script)} yet, skipped`);
    continue;
  }
  console.log(`\n== ${scenario}`);
  const result = spawnSync(process.execPath, ["--import", "tsx", script], { stdio: "inherit", env: process.env });
  if (result.status !== 0) failed.push(`${scenario} (exit ${result.status ?? result.signal})`);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(", ")}`);
  process.exit(1);
}
