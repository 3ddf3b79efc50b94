// CLI start (issue 12): how long a `switchboard` command takes, spawned as a user runs it, from the build
// `npm install` leaves (dist/). Baselines, same run: a bare `node -e ""` for `--version`, and for a command
// on the embedded database the least any such command must do — a Node script that opens the same PGlite
// directory, runs one query and closes it. The sources through tsx (what every command ran before dist/)
// are measured beside them.
//
//   BENCH_RUNS=5 npx tsx bench/cli-start.ts   (npm run bench runs it too; needs `npm run build`)
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compiledBuildIsFresh } from "../bin/compiled-build.js";
import { envInt, isMain, machineFacts, newReport, renderReport, repoDir, writeReport, type Report } from "./harness.ts";

const BIN = path.join(repoDir, "bin", "switchboard.js");
const OPEN_EMBEDDED_DATABASE = `
const { PGlite } = await import("@electric-sql/pglite");
const db = await PGlite.create(process.env.DATA_DIR);
await db.query("SELECT count(*) FROM \\"User\\"");
await db.close();`;

/** Milliseconds from spawn to exit; fails on a non-zero exit. */
function timed(args: string[], env: Record<string, string> = {}): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: repoDir, env: { ...process.env, ...env }, encoding: "utf8" });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

function samples(runs: number, measure: () => number): number[] {
  measure(); // warm-up: the file system cache
  return Array.from({ length: runs }, measure);
}

/** bin/switchboard.js runs dist/ only when it is at least as new as every source file. */
function requireFreshBuild(): void {
  if (!compiledBuildIsFresh(repoDir)) throw new Error("dist/ is missing or older than src/: run `npm run build` first");
}

export async function run(): Promise<Report> {
  requireFreshBuild();
  const runs = envInt("BENCH_RUNS", 5);
  const report = newReport({
    scenario: "cli-start",
    title: "CLI start: a `switchboard` command, spawned, to its exit",
    command: `BENCH_RUNS=${runs} npx tsx bench/cli-start.ts`,
    description:
      "Each command is spawned with this Node (`node bin/switchboard.js …`, what `npx switchboard …` runs after " +
      "npm's own start) and timed from spawn to exit, after one warm-up. `token create` runs on an embedded " +
      'database created and migrated before the timed runs. Baselines: `node -e ""`; a script opening the ' +
      "same PGlite directory, running one query and closing it. The sources through tsx: the same commands " +
      "as `node --import tsx src/cli.ts …`.",
    parameters: { runs },
    machine: await machineFacts(),
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-bench-cli-"));
  try {
    const env = { DATA_DIR: dataDir, LOG_LEVEL: "warn" };
    timed([BIN, "user", "create", "--email", "bench@example.com", "--name", "Bench", "--role", "ADMIN"], env);
    const bareNode = samples(runs, () => timed(["-e", ""]));
    const openDatabase = samples(runs, () => timed(["--input-type=module", "-e", OPEN_EMBEDDED_DATABASE], env));
    const tokenCreate = ["token", "create", "--email", "bench@example.com"];
    report.rows.push(
      {
        case: "switchboard --version",
        metric: "spawn to exit",
        unit: "ms",
        samples: samples(runs, () => timed([BIN, "--version"])),
        baseline: bareNode,
      },
      {
        case: "switchboard --version, sources through tsx",
        metric: "spawn to exit",
        unit: "ms",
        samples: samples(runs, () => timed(["--import", "tsx", "src/cli.ts", "--version"])),
        baseline: bareNode,
      },
      {
        case: "switchboard token create (embedded database)",
        metric: "spawn to exit",
        unit: "ms",
        samples: samples(runs, () => timed([BIN, ...tokenCreate], env)),
        baseline: openDatabase,
      },
      {
        case: "switchboard token create, sources through tsx",
        metric: "spawn to exit",
        unit: "ms",
        samples: samples(runs, () => timed(["--import", "tsx", "src/cli.ts", ...tokenCreate], env)),
        baseline: openDatabase,
      },
    );
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  writeReport(report);
  return report;
}

if (isMain(import.meta.url)) {
  const report = await run();
  console.log(renderReport(report));
  process.exit(0);
}
