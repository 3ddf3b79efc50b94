#!/usr/bin/env node
// The `switchboard` command. `npm install` compiles src/ to dist/ (`npm run build`), so a command starts without
// compiling TypeScript. When a source file is newer than that build (someone is editing src/), it runs the
// sources through tsx instead: never stale code.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compiledBuildIsFresh } from "./compiled-build.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

if (compiledBuildIsFresh(root)) {
  await import(path.join(root, "dist", "cli.js"));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli.ts");
}
