// `switchboard <command>`: start | serve | worker | sync | simulator | demo | migrate | user create |
// token create/revoke | analytics rebuild.
import fs from "node:fs";
import { Command, Option } from "commander";
import closeWithGrace from "close-with-grace";
import { ConfigError, loadConfig, type Config } from "./config.ts";
import { createLogger, type Logger } from "./logger.ts";
import type { PrismaClient } from "./db.ts";
import type { openAndMigrateDatabase } from "./migrations.ts";
import { DomainError } from "./domain/errors.ts";

// Each command imports what it needs when it runs: `--help`, `user create` or `migrate` need not load the
// GraphQL schema, the server and the RingCentral SDK that `start` does.

function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * Closes the process's services on SIGTERM/SIGINT and on an uncaught exception. Not on an unhandled
 * rejection as such: the RingCentral library rejects unheard when it gives up on a subscription, and
 * the worker restarts its connections instead (onSubscriptionGivenUp in
 * src/integrations/ringcentral/subscription.ts); any other rejection is rethrown there, or by Node
 * when nothing listens, and comes back here as an uncaught exception.
 */
function closeOnSignalOrCrash(config: Config, log: Logger, close: () => Promise<void>): void {
  closeWithGrace({ delay: config.shutdownGraceMs, skip: ["unhandledRejection"] }, async ({ signal, err }) => {
    if (err) log.error({ err }, "shutting down after an error");
    else log.info({ signal }, "shutting down");
    await close();
    log.info("shut down cleanly");
  });
}

async function serve(options: { worker: boolean }): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel);
  const { startApp } = await import("./app.ts");
  const app = await startApp(config, log, { worker: options.worker });
  // Before anything is printed: whoever waits for the address may send SIGTERM as soon as they see it.
  closeOnSignalOrCrash(config, log, () => app.close());
  console.error(`Switchboard: GraphQL and GraphiQL at ${app.url}/graphql (database: ${app.db.kind})`);
  // Only the embedded database: no other process may open it to create the first user.
  if (app.db.kind === "pglite") await announceFirstAdmin(app.db.prisma);
}

/** The one time a token is printed by the server: to stderr, for the person who started it. */
async function announceFirstAdmin(prisma: PrismaClient): Promise<void> {
  const { createFirstAdminIfNoUsers } = await import("./domain/first-admin.ts");
  const admin = await createFirstAdminIfNoUsers(prisma);
  if (!admin) return;
  console.error(
    `Switchboard: no users yet, so created the admin ${admin.email}. Its bootstrap API token, shown only this once:\n` +
      `${admin.token}\n` +
      `In GraphiQL set the header {"Authorization": "Bearer ${admin.token}"}; create users and tokens with ` +
      `the createUser and createApiToken mutations.`,
  );
}

async function runDemo(everySeconds: number): Promise<void> {
  if (!(everySeconds > 0)) {
    console.error("switchboard: --every must be a positive number of seconds");
    process.exit(2);
  }
  const config = loadConfigOrExit();
  // The banner is the demo's interface; request logs would bury it unless asked for.
  const log = createLogger(process.env.LOG_LEVEL ? config.logLevel : "warn");
  const { startDemo, demoBanner } = await import("./demo/demo.ts");
  const demo = await startDemo({ config, log, everyMs: everySeconds * 1000 });
  closeOnSignalOrCrash(config, log, () => demo.close());
  console.error(demoBanner(demo, everySeconds * 1000));
}

async function runWorker(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel);
  const { startWorkerProcess } = await import("./app.ts");
  const running = await startWorkerProcess(config, log);
  closeOnSignalOrCrash(config, log, () => running.close());
}

type MigratedDatabase = Awaited<ReturnType<typeof openAndMigrateDatabase>>;

/** Runs a one-off command against the migrated database, then exits. */
async function withDatabase(run: (db: MigratedDatabase["db"], log: Logger, applied: string[]) => Promise<void>) {
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
  const { openAndMigrateDatabase } = await import("./migrations.ts");
  const { db, applied } = await openAndMigrateDatabase(config, log);
  try {
    await run(db, log, applied);
  } catch (error) {
    if (error instanceof DomainError) {
      console.error(`${error.code}: ${error.message}`);
      process.exitCode = 1;
    } else throw error;
  } finally {
    await db.close();
  }
  // The wasm schema engine keeps the event loop alive for a while; nothing else is pending.
  process.exit(process.exitCode ?? 0);
}

function packageVersion(): string {
  const packageJson = fs.readFileSync(new URL("../package.json", import.meta.url), "utf8");
  return (JSON.parse(packageJson) as { version: string }).version;
}

function migrationReport(applied: string[]): string {
  if (applied.length === 0) return "database is up to date: no migration to apply";
  const noun = applied.length === 1 ? "migration" : "migrations";
  return [`applied ${applied.length} ${noun}:`, ...applied.map((name) => `  ${name}`)].join("\n");
}

export function buildCli(): Command {
  const program = new Command("switchboard")
    .version(packageVersion())
    .description("RingCentral calls and SMS in shared inboxes, as a GraphQL API.");
  program
    .command("start")
    .description("Run the API and the RingCentral worker in one process (the default deployment).")
    .action(() => serve({ worker: true }));
  program
    .command("serve")
    .description("Run the API only (scale these out; run `start` or `worker` once for RingCentral).")
    .action(() => serve({ worker: false }));
  program
    .command("worker")
    .description("Run only the RingCentral worker (one active per connection; others stand by).")
    .action(runWorker);
  program
    .command("sync")
    .description("Catch up from RingCentral now (call log, open calls, message sync), with progress.")
    .action(() =>
      withDatabase(async (db, log) => {
        const config = loadConfigOrExit();
        const { catchUpNow } = await import("./app.ts");
        const { SingleBar, Presets } = await import("cli-progress");
        // noTTYOutput: progress also shows when the output is a log file or a pipe.
        const bar = new SingleBar(
          { format: "{stage} [{bar}] {value}/{total}", hideCursor: true, noTTYOutput: true, stream: process.stdout },
          Presets.shades_classic,
        );
        let stage = "";
        const summary = await catchUpNow(config, log, db, (progress) => {
          if (progress.stage !== stage) {
            if (stage) bar.stop();
            stage = progress.stage;
            bar.start(progress.total, 0, { stage });
          }
          bar.update(progress.done, { stage });
        });
        if (stage) bar.stop();
        console.log(
          `caught up: ${summary.calls} call-log records, ${summary.openCalls} open calls, ${summary.messages} messages`,
        );
      }),
    );
  const analyticsCommand = program.command("analytics").description("Analytics for dashboards.");
  analyticsCommand
    .command("rebuild")
    .description("Recompute the analytics figures from the stored calls, messages and surveys, with progress.")
    .action(() =>
      withDatabase(async (db) => {
        const { rebuildAnalytics } = await import("./domain/analytics/refresh.ts");
        const { SingleBar, Presets } = await import("cli-progress");
        const bar = new SingleBar(
          {
            format: "rebuild [{bar}] {value}/{total} rows",
            hideCursor: true,
            noTTYOutput: true,
            stream: process.stdout,
          },
          Presets.shades_classic,
        );
        let started = false;
        const startedAt = Date.now();
        const { rows } = await rebuildAnalytics(db.prisma, (done, total) => {
          if (!started) bar.start(total, 0);
          started = true;
          bar.update(done);
        });
        if (started) bar.stop();
        console.log(`analytics rebuilt: ${rows} rows in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      }),
    );
  program
    .command("simulator")
    .description("Run the RingCentral simulator (a fake RingCentral for trying Switchboard and for tests).")
    .option("--port <port>", "port to listen on (0 picks a free one)", "4010")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .action(async (options: { port: string; host: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        console.error(`switchboard: --port must be a port number, not "${options.port}"`);
        process.exit(2);
      }
      const { runSimulatorCli } = await import("./integrations/ringcentral/simulator/index.ts");
      const simulator = await runSimulatorCli({ port, host: options.host });
      closeWithGrace({ delay: 5000 }, () => simulator.close());
    });
  program
    .command("demo")
    .description("See it alive: the API, the simulator, a connected account, inboxes, agents and traffic.")
    .option("--every <seconds>", "seconds between two calls or texts", "5")
    .action((options: { every: string }) => runDemo(Number(options.every)));
  program
    .command("migrate")
    .description("Apply pending database migrations and exit.")
    .action(() => withDatabase(async (_db, _log, applied) => console.log(migrationReport(applied))));

  const user = program.command("user").description("Manage users.");
  user
    .command("create")
    .description("Create a user and print a new API token as the last line.")
    .requiredOption("--email <email>", "email address (unique)")
    .requiredOption("--name <name>", "display name")
    .addOption(new Option("--role <role>", "ADMIN or AGENT").choices(["ADMIN", "AGENT"]).default("AGENT"))
    .action((options: { email: string; name: string; role: "ADMIN" | "AGENT" }) =>
      withDatabase(async (db) => {
        const { createUser } = await import("./domain/users.ts");
        const { createApiToken } = await import("./domain/tokens.ts");
        const created = await createUser(db.prisma, options);
        const { token } = await createApiToken(db.prisma, created.id, "cli");
        console.log(`created ${created.role} ${created.email} (${created.id})`);
        console.log(token);
      }),
    );

  const token = program.command("token").description("Manage API tokens.");
  token
    .command("create")
    .description("Create an API token for a user; prints it as the last line.")
    .requiredOption("--email <email>", "the user's email")
    .option("--name <name>", "a label for the token", "cli")
    .action((options: { email: string; name: string }) =>
      withDatabase(async (db) => {
        const { createApiToken } = await import("./domain/tokens.ts");
        const owner = await db.prisma.user.findUnique({ where: { email: options.email.trim().toLowerCase() } });
        if (!owner) {
          console.error(`NOT_FOUND: no user with email ${options.email}`);
          process.exitCode = 1;
          return;
        }
        const { token: value } = await createApiToken(db.prisma, owner.id, options.name);
        console.log(value);
      }),
    );
  token
    .command("revoke")
    .description("Revoke an API token.")
    .argument("<token>", "the token value")
    .action((value: string) =>
      withDatabase(async (db, log) => {
        const { revokeApiTokenByValue } = await import("./domain/tokens.ts");
        const { createPubSub } = await import("./pubsub.ts");
        const { eventLogName } = await import("./store/event-log.ts");
        // Through REDIS_URL the running API instances hear of it and close the token's WebSockets.
        const pubsub = createPubSub(loadConfigOrExit().redisUrl, log, { eventLog: await eventLogName(db.prisma) });
        try {
          await revokeApiTokenByValue({ prisma: db.prisma, pubsub }, value);
          await pubsub.flush().catch((error: Error) => {
            console.error(
              `the API instances could not be told (${error.message}): ` +
                "its open WebSockets close at their next access check (ACCESS_RECHECK_MS)",
            );
          });
        } finally {
          await pubsub.close();
        }
        console.log("revoked");
      }),
    );
  return program;
}

try {
  await buildCli().parseAsync(process.argv);
} catch (error) {
  // An operator needs the reason (database missing, port in use…), not a stack trace.
  console.error(`switchboard: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
