// vitest globalSetup of the drills: a fresh figures file for the run (support/figures.ts), and the
// table of every drill file's figures once they all ran.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { figureTable, type Figure } from "./support/figures.ts";

export default function setup(project: TestProject): () => void {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-drill-figures-")), "figures.jsonl");
  fs.writeFileSync(file, "");
  project.provide("drillFiguresFile", file);
  return () => {
    const figures = fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Figure);
    if (figures.length > 0) console.log(figureTable(figures));
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  };
}
