// `npm install` warns (EBADENGINE) for every package whose `engines.node` excludes the running Node. The README
// names one Node; every package the lock file installs, dev dependencies included, must accept its oldest release.
import fs from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";

type LockFile = { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };

const packageJson = JSON.parse(fs.readFileSync("package.json", "utf8")) as { engines: { node: string } };
const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8")) as LockFile;
const oldestSupportedNode = semver.minVersion(packageJson.engines.node);

describe("the Node version the README names", () => {
  it("is the one package.json's engines field starts at", () => {
    const readme = fs.readFileSync("README.md", "utf8");
    const named = /fresh machine with Node (\d+)/.exec(readme)?.[1];
    expect(oldestSupportedNode?.major).toBe(Number(named));
  });

  it("is accepted by every installed package, so npm install prints no engine warning", () => {
    const refusing = Object.entries(lock.packages).flatMap(([path, entry]) => {
      // Old lock entries may hold engines as an array of strings; npm only checks the object form.
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!path || !range || !oldestSupportedNode) return [];
      return semver.satisfies(oldestSupportedNode, range) ? [] : [`${path}@${entry.version}: node ${range}`];
    });
    expect(refusing).toEqual([]);
  });
});
