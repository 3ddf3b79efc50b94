#!/usr/bin/env node
// The `switchboard` command. `npm install` compiles src/ to dist/ (`npm run build`), so a command starts without
// compiling TypeScript. When a source file is newer than that build (someone is editing src/), it runs the
// sources through tsx instead: never stale code.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const compiledCli = path.join(root, "dist", "cli.js");

function modifiedAt(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestSourceChange() {
  let newest = 0;
  for (const entry of fs.readdirSync(path.join(root, "src"), { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, modifiedAt(path.join(entry.parentPath, entry.name)) ?? 0);
  }
  return newest;
}

const builtAt = modifiedAt(compiledCli);
if (builtAt !== undefined && builtAt >= newestSourceChange()) {
  await import(compiledCli);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli.ts");
}
