// Whether dist/ (what `npm run build` compiles from src/) may be run: it exists and no source file is newer.
import fs from "node:fs";
import path from "node:path";

function modifiedAt(file) {
  return fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
}

/** True when `<root>/dist/cli.js` is at least as new as every file under `<root>/src`. */
export function compiledBuildIsFresh(root) {
  const builtAt = modifiedAt(path.join(root, "dist", "cli.js"));
  if (builtAt === undefined) return false;
  for (const entry of fs.readdirSync(path.join(root, "src"), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && (modifiedAt(path.join(entry.parentPath, entry.name)) ?? 0) > builtAt) return false;
  }
  return true;
}
