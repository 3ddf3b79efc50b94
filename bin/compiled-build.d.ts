/** True when `<root>/dist/cli.js` is at least as new as every file under `<root>/src`. */
export function compiledBuildIsFresh(root: string): boolean;
