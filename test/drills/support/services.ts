// Private PostgreSQL and Redis for the drills: each on a free port, in a temporary directory, stopped
// and started at will. The shared services of the test suite (127.0.0.1:5432 and :6379) are never
// touched: a drill restarts only what it started.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const POSTGRES_BIN = process.env.DRILL_POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";
/** PostgreSQL refuses to run as root: its commands run as this OS user. */
const POSTGRES_USER = "postgres";

/** A port nothing listens on now (the services bind it a moment later). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

async function asPostgres(command: string, args: string[]): Promise<string> {
  const { stdout } = await run("runuser", ["-u", POSTGRES_USER, "--", path.join(POSTGRES_BIN, command), ...args]);
  return stdout;
}

export interface PrivatePostgres {
  /** A database URL on this cluster (database `switchboard`). */
  url: string;
  port: number;
  /** `pg_ctl stop -m fast`: connections are terminated, transactions in flight roll back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** initdb + pg_ctl start on a free port, trust authentication, one database `switchboard`. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-drill-pg-"));
  const dataDir = path.join(root, "data");
  fs.chownSync(root, ...(await postgresIds()));
  await asPostgres("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  // The socket lives in the temporary directory, not in /var/run/postgresql beside the shared cluster's.
  const options = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root} -c fsync=off`;
  const logFile = path.join(root, "postgres.log");
  const start = () => asPostgres("pg_ctl", ["-D", dataDir, "-o", options, "-l", logFile, "-w", "start"]).then(() => {});
  await start();
  await asPostgres("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "switchboard"]);
  let running = true;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/switchboard`,
    port,
    stop: async () => {
      await asPostgres("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]);
      running = false;
    },
    start: async () => {
      await start();
      running = true;
    },
    destroy: async () => {
      if (running) await asPostgres("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]).catch(() => {});
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout: uid } = await run("id", ["-u", POSTGRES_USER]);
  const { stdout: gid } = await run("id", ["-g", POSTGRES_USER]);
  return [Number(uid), Number(gid)];
}

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** `redis-server --port N --save ""` in the foreground of a child process, stopped by SIGTERM. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-drill-redis-"));
  let server: ChildProcess | null = null;
  const start = async () => {
    if (server && server.exitCode === null) return; // already running
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
    const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    server = child;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
    });
  };
  const stop = async () => {
    const child = server;
    server = null;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    destroy: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
