// Minimal statistics and Markdown output for the ingest and inbox-query benchmarks (used until/unless
// the shared harness provides the same).
import os from "node:os";
import fs from "node:fs";
import path from "node:path";

export interface Summary {
  n: number;
  median: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

export function machineFacts(): string {
  const cpus = os.cpus();
  return [
    `${os.type()} ${os.release()} ${os.arch()}`,
    `${cpus.length} × ${cpus[0]?.model.trim() ?? "cpu"}`,
    `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`,
    `Node ${process.version}`,
    `load avg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  ].join("; ");
}

export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return "–";
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(digits);
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Writes bench/results/<name>-<timestamp>.md and bench/results/<name>-latest.md; returns the path. */
export function writeResult(
  name: string,
  markdown: string,
  dir = path.resolve(import.meta.dirname, "results"),
): string {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const file = path.join(dir, `${name}-${stamp}.md`);
  fs.writeFileSync(file, markdown);
  fs.writeFileSync(path.join(dir, `${name}-latest.md`), markdown);
  return file;
}
