// bin/switchboard.js runs the compiled dist/ only while no source file is newer: an edited src/ is never
// shadowed by a stale build (it then runs the sources through tsx).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compiledBuildIsFresh } from "../bin/compiled-build.js";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

/** A package root with src/domain/a.ts written at `sourceAt` and, unless null, dist/cli.js at `builtAt`. */
function packageRoot(sourceAt: number, builtAt: number | null): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-build-"));
  roots.push(root);
  const write = (file: string, seconds: number) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), "");
    fs.utimesSync(path.join(root, file), seconds, seconds);
  };
  write("src/domain/a.ts", sourceAt);
  if (builtAt !== null) write("dist/cli.js", builtAt);
  return root;
}

describe("compiledBuildIsFresh", () => {
  it("is true when dist/cli.js is at least as new as every source file", () => {
    expect(compiledBuildIsFresh(packageRoot(1_000, 2_000))).toBe(true);
    expect(compiledBuildIsFresh(packageRoot(2_000, 2_000))).toBe(true);
  });

  it("is false when a source file, however deep, changed after the build", () => {
    expect(compiledBuildIsFresh(packageRoot(3_000, 2_000))).toBe(false);
  });

  it("is false when there is no build", () => {
    expect(compiledBuildIsFresh(packageRoot(1_000, null))).toBe(false);
  });
});
