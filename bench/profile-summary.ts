// Summarises a V8 .cpuprofile (node --cpu-prof, or BENCH_CPU_PROF=1 npm run bench:<scenario>):
// the top functions by self time and by total (inclusive) time, and self time per package.
//   npx tsx bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [top=30]
import fs from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error("usage: profile-summary.ts <file.cpuprofile> [top]");
const top = Number(topArg ?? 30);
const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

function shortUrl(url: string): string {
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) return url.slice(nm + "node_modules/".length);
  const src = url.indexOf("/src/");
  if (src >= 0) return url.slice(src + 1);
  const bench = url.indexOf("/bench/");
  if (bench >= 0) return url.slice(bench + 1);
  return url.replace(/^file:\/\//, "");
}
function frameKey(f: CallFrame): string {
  return `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}
function packageOf(f: CallFrame): string {
  if (!f.url) return f.functionName.startsWith("(") ? f.functionName : "(native)";
  const nm = f.url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = f.url.slice(nm + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (f.url.startsWith("node:")) return "node:*";
  if (f.url.includes("/src/")) return "switchboard src";
  if (f.url.includes("/bench/")) return "bench";
  return f.url;
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const packages = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  self.set(frameKey(node.callFrame), (self.get(frameKey(node.callFrame)) ?? 0) + us);
  packages.set(packageOf(node.callFrame), (packages.get(packageOf(node.callFrame)) ?? 0) + us);
  // Inclusive: each distinct frame on the stack once.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const key = frameKey(byId.get(cur)!.callFrame);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}

const pct = (us: number) => `${((us / totalUs) * 100).toFixed(1).padStart(5)}%`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
const print = (title: string, map: Map<string, number>, n: number) => {
  console.log(`\n## ${title}\n`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(us)} ${ms(us)}  ${key}`);
};
console.log(`${file}: ${(totalUs / 1000).toFixed(0)} ms sampled, ${profile.samples.length} samples`);
print("Self time by package", packages, 25);
print("Self time by function", self, top);
print("Total (inclusive) time by function", inclusive, top);

// Inclusive time per package (each package counted once per sample, wherever it is on the stack).
const packageInclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const pkg = packageOf(byId.get(cur)!.callFrame);
    if (seen.has(pkg)) continue;
    seen.add(pkg);
    packageInclusive.set(pkg, (packageInclusive.get(pkg) ?? 0) + us);
  }
}
print("Total (inclusive) time by package", packageInclusive, 25);

// PROFILE_TREE=<function name>: the call tree below every frame of that name, merged, to PROFILE_DEPTH.
const treeRoot = process.env.PROFILE_TREE;
if (treeRoot) {
  const depthLimit = Number(process.env.PROFILE_DEPTH ?? 6);
  const minShare = Number(process.env.PROFILE_MIN ?? 0.5) / 100;
  interface Merged {
    us: number;
    children: Map<string, Merged>;
  }
  const rootMerged: Merged = { us: 0, children: new Map() };
  const subtreeUs = new Map<number, number>();
  const total = (id: number): number => {
    const cached = subtreeUs.get(id);
    if (cached !== undefined) return cached;
    const n = byId.get(id)!;
    const us = (selfUs.get(id) ?? 0) + (n.children ?? []).reduce((a, c) => a + total(c), 0);
    subtreeUs.set(id, us);
    return us;
  };
  const merge = (id: number, into: Merged, depth: number) => {
    if (depth >= depthLimit) return;
    for (const c of byId.get(id)!.children ?? []) {
      const key = frameKey(byId.get(c)!.callFrame);
      let m = into.children.get(key);
      if (!m) {
        m = { us: 0, children: new Map() };
        into.children.set(key, m);
      }
      m.us += total(c);
      merge(c, m, depth + 1);
    }
  };
  // Only outermost matching frames (a recursive match is already inside its ancestor's tree).
  const matches = profile.nodes.filter((n) => n.callFrame.functionName === treeRoot);
  const matchIds = new Set(matches.map((n) => n.id));
  for (const n of matches) {
    let nested = false;
    for (let cur = parent.get(n.id); cur !== undefined; cur = parent.get(cur)) if (matchIds.has(cur)) nested = true;
    if (nested) continue;
    rootMerged.us += total(n.id);
    merge(n.id, rootMerged, 0);
  }
  console.log(`\n## Call tree below ${treeRoot} (${(rootMerged.us / 1000).toFixed(0)} ms, ${pct(rootMerged.us)})\n`);
  const show = (m: Merged, indent: string) => {
    for (const [key, child] of [...m.children].sort((a, b) => b[1].us - a[1].us)) {
      if (child.us < totalUs * minShare) continue;
      console.log(`${pct(child.us)} ${ms(child.us)}  ${indent}${key}`);
      show(child, `${indent}  `);
    }
  };
  show(rootMerged, "");
}
