// `switchboard demo`: everything in one process to see Switchboard alive — the RingCentral simulator,
// the API with the worker on a fresh embedded database (a temporary directory, removed on close, so
// every demo starts from the same world and ./data is never touched), the world set up, and traffic.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startApp } from "../app.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import { startSimulator } from "../integrations/ringcentral/simulator/index.ts";
import { setUpDemoWorld, type DemoWorld } from "./demo-world.ts";
import { simulatorControl } from "./simulator-control.ts";
import { startTraffic } from "./traffic.ts";

/** The demo makes more requests a minute than a RingCentral account's default limits allow. */
const DEMO_RATE_LIMIT = { limit: 10_000, windowSeconds: 60, penaltySeconds: 60 };

export interface RunningDemo {
  apiUrl: string;
  simulatorUrl: string;
  dataDir: string;
  world: DemoWorld;
  close(): Promise<void>;
}

export interface DemoOptions {
  /** `config.dataDir` and `config.databaseUrl`/`redisUrl` are replaced: the demo is embedded. */
  config: Config;
  log: Logger;
  everyMs: number;
}

export async function startDemo({ config, log, everyMs }: DemoOptions): Promise<RunningDemo> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-demo-"));
  const closing: (() => Promise<void>)[] = [async () => fs.rmSync(dataDir, { recursive: true, force: true })];
  const close = async () => {
    for (const step of closing.splice(0).reverse()) await step();
  };
  try {
    const limits = { Light: DEMO_RATE_LIMIT, Medium: DEMO_RATE_LIMIT, Heavy: DEMO_RATE_LIMIT, Auth: DEMO_RATE_LIMIT };
    const simulator = await startSimulator({ port: 0, rateLimits: limits });
    closing.push(() => simulator.close());
    const embedded = { ...config, dataDir, databaseUrl: undefined, redisUrl: undefined };
    const app = await startApp(embedded, log, { worker: true });
    closing.push(() => app.close());
    const control = simulatorControl(simulator.url);
    const world = await setUpDemoWorld({
      prisma: app.db.prisma,
      apiUrl: app.url,
      simulatorUrl: simulator.url,
      simulator: control,
      credentials: simulator.credentials(),
    });
    // The worker would find the new connection on its next round; the demo should ring right away.
    await app.worker!.reconcile();
    const traffic = await startTraffic(world, control, app.url, everyMs, log);
    closing.push(async () => traffic.stop());
    return { apiUrl: app.url, simulatorUrl: simulator.url, dataDir, world, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What the person who ran `switchboard demo` needs: where to go, and who to be. */
export function demoBanner(demo: RunningDemo, everyMs: number): string {
  const people = [
    `    admin  ${demo.world.admin.email.padEnd(24)} ${demo.world.admin.token}`,
    ...demo.world.agents.map((agent) => `    agent  ${agent.email.padEnd(24)} ${agent.token}`),
  ];
  return [
    `Switchboard demo: GraphQL and GraphiQL at ${demo.apiUrl}/graphql`,
    `  embedded database in ${demo.dataDir} (removed on exit); RingCentral simulator at ${demo.simulatorUrl}`,
    `  API tokens (GraphiQL's Headers tab: {"Authorization": "Bearer <token>"}):`,
    ...people,
    `  A call or a text every ${everyMs / 1000} s. As an agent, try:`,
    `    subscription { incomingCall { callerNumber call { id status } conversation { id } } }`,
    `  Ctrl-C stops the demo.`,
  ].join("\n");
}
