// `switchboard` spawned as a user runs it (`node bin/switchboard.js …` or `npx switchboard …`), with
// its output collected and awaitable: tests wait for a line, never for a while.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

export const REPOSITORY = new URL("..", new URL("..", import.meta.url)).pathname;
const BIN = new URL("../../bin/switchboard.js", import.meta.url).pathname;

export interface SwitchboardProcess {
  child: ChildProcess;
  /** stdout and stderr interleaved, as a terminal shows them. */
  readonly output: string;
  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves with the exit code (null and the signal when killed by one). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `how`: "node" runs bin/switchboard.js with this Node; "npx" runs the README's `npx switchboard` in `cwd`
 * (this repository unless told otherwise).
 */
export function spawnSwitchboard(
  args: string[],
  env: Record<string, string>,
  how: "node" | "npx" = "node",
  cwd = REPOSITORY,
): SwitchboardProcess {
  const [command, commandArgs] =
    how === "node" ? [process.execPath, [BIN, ...args]] : ["npx", ["switchboard", ...args]];
  return collectOutput(
    spawn(command, commandArgs, {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
}

/** Any spawned process (`npm install` too), its output awaitable as `switchboard`'s is. */
export function collectOutput(child: ChildProcess): SwitchboardProcess {
  let output = "";
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = once(child, "close").then(
    ([code, signal]) => ({ code, signal }) as { code: number | null; signal: NodeJS.Signals | null },
  );
  return {
    child,
    get output() {
      return output;
    },
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (!match) return false;
          listeners.delete(check);
          resolve(match);
          return true;
        };
        if (check()) return;
        listeners.add(check);
        exited.then(() => {
          if (listeners.delete(check)) reject(new Error(`switchboard exited before printing ${pattern}:\n${output}`));
        });
      });
    },
    exited,
  };
}

/** Runs a command to completion. */
export async function runSwitchboard(args: string[], env: Record<string, string>) {
  const run = spawnSwitchboard(args, env);
  const { code } = await run.exited;
  return { code, output: run.output, lastLine: run.output.trimEnd().split("\n").at(-1) ?? "" };
}

/** Starts `switchboard start` (or `serve`) on a free port; resolves once it listens, with its URL. */
export async function startSwitchboardServer(
  command: "start" | "serve",
  env: Record<string, string>,
  how: "node" | "npx" = "node",
) {
  const server = spawnSwitchboard([command], { HOST: "127.0.0.1", PORT: "0", ...env }, how);
  const [, url] = await server.waitFor(/GraphQL and GraphiQL at (http:\/\/\S+)\/graphql/);
  await server.waitFor(/"msg":"switchboard is listening"/);
  return Object.assign(server, { url: url! });
}

export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  token?: string,
  variables?: object,
) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
}
