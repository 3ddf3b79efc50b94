// The figures of a drills run (time to consistent per fault, takeover time), gathered from every
// drill file and printed as one table when the run ends. Each file runs in its own process: they
// append to one JSON-lines file that the run's global setup (test/drills/global-setup.ts) created
// and reads at the end.
import fs from "node:fs";
import os from "node:os";
import { inject } from "vitest";

export interface Figure {
  fault: string;
  /** Calls and texts played so far in the drill's deployment. */
  traffic: string;
  /** From the fault's end (or the kill, for a takeover) to the API showing everything right. */
  consistentMs: number;
  note: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    drillFiguresFile: string;
  }
}

/** Records a figure for the table printed at the end of the run. */
export function recordFigure(figure: Figure): void {
  fs.appendFileSync(inject("drillFiguresFile"), `${JSON.stringify(figure)}\n`);
}

export function figureTable(figures: Figure[]): string {
  const rows = [["fault", "traffic so far", "consistent after", "note"]];
  for (const f of figures) rows.push([f.fault, f.traffic, `${f.consistentMs} ms`, f.note]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [
    "",
    `Drill figures (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? "unknown CPU"})`,
    ...rows.map(line),
  ].join("\n");
}
