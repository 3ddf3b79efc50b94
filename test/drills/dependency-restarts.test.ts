// Drills (issue 13, point 1): Redis and PostgreSQL restart while calls and texts flow. An API
// instance (`switchboard serve`) and a worker (`switchboard worker`) must both survive, reconnect
// and resume: every call and text played before, during and after the fault is stored once and
// right, events published once Redis is back reach a live subscriber, a subscriber that went away
// during the fault and resumed with `after:` receives every event of the log exactly once, and no
// product process exits.
// Its figures (time from the dependency's return to a consistent API) join the run's table
// (support/figures.ts).
import { afterAll, beforeAll, expect, it } from "vitest";
import { startDeployment, subscribe, waitUntil, type Deployment, type PlayedCall } from "./support/deployment.ts";
import { deliveriesSettled, watchEvents, type EventWatcher } from "./support/event-watchers.ts";
import { recordFigure } from "./support/figures.ts";
import { CONSISTENT_WITHIN_MS, trafficOf, type Traffic } from "./support/traffic.ts";
import { graphql } from "../support/switchboard-process.ts";

/** How long each dependency stays away: the fault itself, the one fixed wait of the drills. */
const DOWN_MS = 3000;

let deployment: Deployment;
let traffic: Traffic;

beforeAll(async () => {
  deployment = await startDeployment({ name: "dependency-restarts", texts: true });
  traffic = trafficOf(deployment);
});
afterAll(async () => {
  await deployment?.close();
});

/** Plays `count` calls (answered by the IVR, missed) and a text with every second one. */
async function playCalls(count: number): Promise<PlayedCall[]> {
  return (await traffic.play(count, Math.floor(count / 2))).calls;
}

/** Checks every watcher received every event of the inbox's log exactly once, in order. */
async function checkSubscribers(...watchers: EventWatcher[]): Promise<void> {
  const { log, problems } = await deliveriesSettled(deployment, watchers, CONSISTENT_WITHIN_MS);
  expect(log.length).toBeGreaterThan(0);
  for (const watcher of watchers) {
    expect(problems[watcher.name]).toEqual([]);
    expect(watcher.errors).toEqual([]);
  }
}

async function subscriptionStatus(): Promise<string> {
  return (await deployment.query<any>("{ ringCentralConnection { status } }")).ringCentralConnection.status;
}

async function serveReady(): Promise<boolean> {
  return (await fetch(`${deployment.serve.url}/ready`)).ok;
}

it("keeps the worker and the API running through a Redis restart, and loses no call or event", async () => {
  const liveEvents = watchEvents(deployment, "live conversationEvents subscriber", 0);
  const resumedEvents = watchEvents(deployment, "resumed conversationEvents subscriber", 0);
  const live = subscribe(
    deployment.wsClient(),
    `subscription($inbox: ID!) { callUpdated(inboxId: $inbox) { status call { fromNumber } } }`,
    { inbox: deployment.inboxId },
  );
  const liveNumbers = () => new Set(live.received.map((r) => (r.data as any)?.callUpdated.call?.fromNumber));
  // `callUpdated` has no `after`: nothing says when the API instance listens for it. Calls are
  // played, one a second, until it saw one: from then on it is live.
  const before: PlayedCall[] = [];
  let lastPlayedAt = 0;
  await waitUntil(
    async () => {
      if (before.some((c) => liveNumbers().has(c.from))) return true;
      if (Date.now() - lastPlayedAt >= 1000) {
        lastPlayedAt = Date.now();
        before.push(...(await playCalls(2)));
      }
      return false;
    },
    CONSISTENT_WITHIN_MS,
    () => "the live subscription saw no event before the fault",
    deployment,
  );

  // Both are live (past their replay of the log) before the fault.
  await checkSubscribers(liveEvents, resumedEvents);
  await resumedEvents.leave();
  await deployment.redis.stop();
  const during = await playCalls(4);
  // A client subscribing while Redis is away is served: the API instance delivers from its own
  // follow of the event log, which it fills once Redis is back.
  const joinedDuring = watchEvents(deployment, "conversationEvents subscriber that joined during the outage", 0);
  await new Promise((resolve) => setTimeout(resolve, DOWN_MS)); // the fault itself
  await deployment.redis.start();
  const restoredAt = Date.now();
  // The API instance's subscriptions are back once it is ready again (its pub/sub answers).
  await waitUntil(serveReady, CONSISTENT_WITHIN_MS, () => "the API instance is not ready again", deployment);
  resumedEvents.resume();
  const after = await playCalls(4);
  const consistentMs = await traffic.consistentSince(restoredAt);

  await waitUntil(
    async () => after.every((c) => liveNumbers().has(c.from)),
    CONSISTENT_WITHIN_MS,
    async () => `live events after Redis returned: ${[...liveNumbers()].join(", ")}`,
    deployment,
  );
  const duringSeen = during.filter((c) => liveNumbers().has(c.from)).length;
  await checkSubscribers(liveEvents, resumedEvents, joinedDuring);
  recordFigure({
    fault: "Redis down 3 s",
    traffic: traffic.summary(),
    consistentMs,
    note:
      `live callUpdated saw ${duringSeen}/${during.length} calls of the outage; ` +
      "live, resumed and joined-during-the-outage conversationEvents subscribers exactly once",
  });
  expect(live.error).toBeUndefined();
  expect(deployment.exits()).toEqual([]);
  live.unsubscribe();
});

it("keeps the worker and the API running through a PostgreSQL restart; the worker takes its lease again", async () => {
  const subscriptionsStarted = () =>
    deployment.worker.output.match(/"msg":"RingCentral subscription active"/g)?.length ?? 0;
  const startedBefore = subscriptionsStarted();
  // New subscribers: the Redis drill's are checked and done.
  const liveEvents = watchEvents(deployment, "live conversationEvents subscriber", 0);
  const resumedEvents = watchEvents(deployment, "resumed conversationEvents subscriber", 0);
  await playCalls(2);
  // Both are live (past their replay of the log) before the fault.
  await checkSubscribers(liveEvents, resumedEvents);
  await resumedEvents.leave();
  await deployment.postgres.stop();
  const stoppedAt = Date.now();
  await playCalls(4);
  // A request while the database is away gets an answer (an error), not a dead API instance.
  const duringOutage = await graphql(deployment.serve.url, "{ viewer { email } }", deployment.adminToken);
  expect(duringOutage.errors).toBeDefined();
  await new Promise((resolve) => setTimeout(resolve, DOWN_MS)); // the fault itself
  await deployment.postgres.start();
  const restoredAt = Date.now();
  resumedEvents.resume();
  await playCalls(4);
  const consistentMs = await traffic.consistentSince(restoredAt);

  // The worker runs the connection again: its subscription is live (the calls after the restart came
  // through it or through a catch-up; a call played now must arrive through it).
  await waitUntil(
    async () => (await subscriptionStatus()) === "SUBSCRIBED",
    CONSISTENT_WITHIN_MS,
    subscriptionStatus,
    deployment,
  );
  await playCalls(2);
  await traffic.consistentSince(restoredAt);
  expect(subscriptionsStarted()).toBeGreaterThan(startedBefore);
  await checkSubscribers(liveEvents, resumedEvents);
  recordFigure({
    fault: "PostgreSQL fast stop, 3 s, start",
    traffic: traffic.summary(),
    consistentMs,
    note: `down ${restoredAt - stoppedAt} ms; live and resumed subscribers exactly once`,
  });
  expect(deployment.exits()).toEqual([]);
});
