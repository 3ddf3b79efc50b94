// Drills (issue 13) on the production shape: two API instances (`switchboard serve`), a worker and a
// standby (`switchboard worker`; the connection's lease in src/integrations/ringcentral/lease.ts), the
// simulator with a short WebSocket recovery window, private PostgreSQL and Redis. Calls and texts flow
// while the worker is SIGKILLed (with a standby, then without one), the socket drops, the socket stalls
// past the recovery window, notifications arrive twice and out of order, RingCentral answers 429 to
// every REST request, and a subscriber is away 5 s. After each fault: every
// call and text is stored once with the right outcome, and earlier ones are unchanged; a live
// subscriber on each API instance and one that went away during the fault and resumed with `after:`
// received every event of the log exactly once; no product process exited but the one killed. At the
// end a restarted worker catches up again and nothing changes. Figures go to the run's table.
import { afterAll, beforeAll, expect, it } from "vitest";
import { discrepancies, startDeployment, waitUntil, type Deployment } from "./support/deployment.ts";
import { deliveriesSettled, watchEvents, type EventWatcher } from "./support/event-watchers.ts";
import { recordFigure } from "./support/figures.ts";
import { CONSISTENT_WITHIN_MS, trafficOf, type Traffic } from "./support/traffic.ts";
import { simControl } from "../support/simulator.ts";
import type { SwitchboardProcess } from "../support/switchboard-process.ts";

/** The simulator's WebSocket recovery window: short, so a stall past it fits the run. */
const RECOVERY_WINDOW_SECONDS = 4;
/** The stalled socket is closed by the simulator after this long: past the recovery window. */
const STALL_MS = 5000;
/** How long the worker stays dead when no standby takes over: the fault itself. */
const WORKER_DOWN_MS = 3000;
const SUBSCRIPTION_ACTIVE = /"msg":"RingCentral subscription active"/;
/** A 429 storm: every RingCentral REST request is refused (more than the drill can make)… */
const STORM_REQUESTS = 1000;
/** …each with this Retry-After… */
const STORM_RETRY_AFTER_SECONDS = 2;
/** …for this long after the socket stalled (it closes at STALL_MS): the fault itself. */
const STORM_MS = STALL_MS + 3000;
/** How long the resumed subscriber stays away in its own drill. */
const AWAY_MS = 5000;

let deployment: Deployment;
let watchers: { liveA: EventWatcher; liveB: EventWatcher; resumed: EventWatcher };
let traffic: Traffic;

beforeAll(async () => {
  deployment = await startDeployment({
    name: "production-shape",
    serves: 2,
    workers: 2,
    texts: true,
    simulator: { webSocket: { recoveryTimeoutSeconds: RECOVERY_WINDOW_SECONDS } },
  });
  traffic = trafficOf(deployment);
  watchers = {
    liveA: watchEvents(deployment, "live subscriber on API 1", 0),
    liveB: watchEvents(deployment, "live subscriber on API 2", 1),
    resumed: watchEvents(deployment, "resumed subscriber on API 2", 1),
  };
});
afterAll(async () => {
  await deployment?.close();
});

/** Every subscriber received every event of the inbox's log exactly once (waits for the stragglers). */
async function subscribersExactlyOnce(): Promise<void> {
  const all = Object.values(watchers);
  const { log, problems } = await deliveriesSettled(deployment, all, CONSISTENT_WITHIN_MS);
  expect(log.length).toBeGreaterThan(0);
  for (const watcher of all) {
    expect(problems[watcher.name], watcher.name).toEqual([]);
    expect(watcher.errors, watcher.name).toEqual([]);
  }
}

/** The running worker that runs the connection (it logged an active subscription), and the others. */
function holderAndStandbys(): { holder: SwitchboardProcess; standbys: SwitchboardProcess[] } {
  const running = deployment.running();
  const holders = running.filter((w) => SUBSCRIPTION_ACTIVE.test(w.output));
  expect(holders).toHaveLength(1);
  return { holder: holders[0]!, standbys: running.filter((w) => w !== holders[0]) };
}

async function connectedSockets(): Promise<number> {
  const { records } = await simControl<{ records: { connected: boolean }[] }>(
    deployment.simulator,
    "GET",
    "ws/sessions",
  );
  return records.filter((r) => r.connected).length;
}

it("runs calls and texts through two API instances, a worker and a standby: one worker holds the connection", async () => {
  const started = Date.now();
  await traffic.play(4, 2);
  const consistentMs = await traffic.consistentSince(started);
  await subscribersExactlyOnce();
  const { standbys } = holderAndStandbys();
  expect(standbys).toHaveLength(1);
  // The standby has not subscribed: exactly one WebSocket reaches RingCentral.
  expect(standbys[0]!.output).not.toMatch(SUBSCRIPTION_ACTIVE);
  expect(await connectedSockets()).toBe(1);
  recordFigure({
    fault: "none (baseline)",
    traffic: traffic.summary(),
    consistentMs,
    note: "from the first call played",
  });
  expect(deployment.exits()).toEqual([]);
});

it("survives a dropped RingCentral socket: the worker recovers the session and misses nothing", async () => {
  const { holder } = holderAndStandbys();
  const logBefore = holder.output.length;
  const since = (pattern: RegExp) => pattern.test(holder.output.slice(logBefore));
  await watchers.resumed.leave();
  const dropped = await simControl<{ affected: number }>(deployment.simulator, "POST", "faults/socket", {
    action: "drop",
  });
  expect(dropped.affected).toBe(1);
  const droppedAt = Date.now();
  await traffic.play(4, 2);
  watchers.resumed.resume();
  const consistentMs = await traffic.consistentSince(droppedAt);
  await subscribersExactlyOnce();
  // The worker saw the socket go and came back: by recovering the session (the usual way), or, when
  // the reconnection took longer than the short window, by a new subscription and a catch-up.
  expect(since(/"msg":"RingCentral WebSocket closed; recovering"/)).toBe(true);
  const path = [
    since(/"msg":"RingCentral subscription recovered"/) ? "session recovered" : "",
    since(/"reason":"recovery failed"/) ? "recovery failed, catch-up" : "",
    since(/"reason":"sequence gap"/) ? "sequence gap, catch-up" : "",
  ].filter(Boolean);
  expect(path.length).toBeGreaterThan(0);
  recordFigure({
    fault: "socket drop",
    traffic: traffic.summary(),
    consistentMs,
    note: `from the drop; ${path.join("; ")}`,
  });
  expect(deployment.exits()).toEqual([]);
});

it("survives a socket stalled past the recovery window: the worker subscribes afresh and catches up", async () => {
  const { holder } = holderAndStandbys();
  const catchUps = () =>
    holder.output.match(/"reason":"recovery failed".*"msg":"catching up from RingCentral"/g)?.length ?? 0;
  const catchUpsBefore = catchUps();
  await watchers.resumed.leave();
  await simControl(deployment.simulator, "POST", "faults/socket", { action: "stall", closeAfterMs: STALL_MS });
  const stalledAt = Date.now();
  // Everything of this traffic happens while the socket delivers nothing.
  await traffic.play(4, 2);
  await waitUntil(
    async () => catchUps() > catchUpsBefore,
    CONSISTENT_WITHIN_MS,
    () => "the worker did not catch up after the failed recovery",
    deployment,
  );
  const closedAt = stalledAt + STALL_MS;
  watchers.resumed.resume();
  const consistentMs = await traffic.consistentSince(closedAt);
  await subscribersExactlyOnce();
  recordFigure({
    fault: `socket stalled ${STALL_MS} ms (window ${RECOVERY_WINDOW_SECONDS} s)`,
    traffic: traffic.summary(),
    consistentMs,
    note: "from the socket's close; recovery failed, catch-up",
  });
  expect(deployment.exits()).toEqual([]);
});

it("applies duplicated and reordered notifications once, in effect in order", async () => {
  await watchers.resumed.leave();
  for (let i = 0; i < 4; i++) {
    await simControl(deployment.simulator, "POST", "faults/notifications", { type: "duplicate", count: 3, copies: 2 });
    await simControl(deployment.simulator, "POST", "faults/notifications", { type: "reorder", count: 3 });
  }
  await traffic.play(6, 3);
  // A reorder fault holds what it has until `count` arrived: what the traffic left held is delivered
  // now (in arrival order), which ends the fault.
  const pending = await simControl<{ notifications: unknown[] }>(deployment.simulator, "GET", "faults");
  await simControl(deployment.simulator, "DELETE", "faults");
  const faultEndedAt = Date.now();
  watchers.resumed.resume();
  const consistentMs = await traffic.consistentSince(faultEndedAt);
  await subscribersExactlyOnce();
  recordFigure({
    fault: "duplicate ×3 + reorder (4 rounds)",
    traffic: traffic.summary(),
    consistentMs,
    note: `from the last release; ${pending.notifications.length} faults still pending at the end of the traffic`,
  });
  expect(deployment.exits()).toEqual([]);
});

it("keeps ingesting calls through a 429 storm, and subscribes afresh once RingCentral answers again", async () => {
  const { holder } = holderAndStandbys();
  await watchers.resumed.leave();
  await simControl(deployment.simulator, "POST", "faults/rate-limit", {
    count: STORM_REQUESTS,
    retryAfterSeconds: STORM_RETRY_AFTER_SECONDS,
  });
  const stormAt = Date.now();
  const { calls } = await traffic.play(4, 2);
  // Telephony never waits for a REST request: while RingCentral refuses every one, calls still land.
  await waitUntil(
    async () => discrepancies(calls, (await deployment.storedState()).calls).length === 0,
    CONSISTENT_WITHIN_MS,
    async () => discrepancies(calls, (await deployment.storedState()).calls).join("\n"),
    deployment,
  );
  const callsStoredMs = Date.now() - stormAt;
  // A socket stalled past the recovery window needs REST to come back (a WebSocket token, a new
  // subscription, a catch-up): every attempt is refused until the storm ends.
  await simControl(deployment.simulator, "POST", "faults/socket", { action: "stall", closeAfterMs: STALL_MS });
  await traffic.play(4, 2);
  await new Promise((resolve) => setTimeout(resolve, STORM_MS)); // the fault itself
  const pending = await simControl<{ rateLimits: { remaining: number }[] }>(deployment.simulator, "GET", "faults");
  const refused = STORM_REQUESTS - (pending.rateLimits[0]?.remaining ?? 0);
  await simControl(deployment.simulator, "DELETE", "faults");
  const endedAt = Date.now();
  watchers.resumed.resume();
  const consistentMs = await traffic.consistentSince(endedAt);
  await subscribersExactlyOnce();
  expect(refused).toBeGreaterThan(0);
  expect(deployment.running()).toContain(holder);
  recordFigure({
    fault: `429 storm ${STORM_MS / 1000} s (Retry-After ${STORM_RETRY_AFTER_SECONDS} s) + socket stall`,
    traffic: traffic.summary(),
    consistentMs,
    note: `from the storm's end; ${refused} requests refused; calls of the storm stored ${callsStoredMs} ms into it`,
  });
  expect(deployment.exits()).toEqual([]);
});

it("replays everything to a subscriber that was away 5 s, exactly once", async () => {
  await watchers.resumed.leave();
  const leftAt = Date.now();
  // One call a second while it is away.
  while (Date.now() - leftAt < AWAY_MS) {
    const started = Date.now();
    await traffic.play(1, 1);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - started))));
  }
  const backAt = Date.now();
  watchers.resumed.resume();
  await subscribersExactlyOnce();
  const caughtUpMs = Date.now() - backAt;
  const consistentMs = await traffic.consistentSince(leftAt);
  recordFigure({
    fault: `subscriber away ${AWAY_MS / 1000} s`,
    traffic: traffic.summary(),
    consistentMs,
    note: `from its leaving; back with after: its last cursor, it had every event once ${caughtUpMs} ms later`,
  });
  expect(deployment.exits()).toEqual([]);
});

it("hands the connection to the standby when the worker is SIGKILLed", async () => {
  const { holder, standbys } = holderAndStandbys();
  const standby = standbys[0]!;
  await watchers.resumed.leave();
  const takenOver = standby.waitFor(SUBSCRIPTION_ACTIVE).then(() => Date.now());
  await deployment.stopProcess(holder, "SIGKILL");
  const killedAt = Date.now();
  const { calls } = await traffic.play(4, 2);
  const firstCall = calls[0]!;
  await waitUntil(
    async () => (await deployment.storedCalls()).has(firstCall.from),
    CONSISTENT_WITHIN_MS,
    () => "the first call after the kill was not stored",
    deployment,
  );
  const firstStoredMs = Date.now() - killedAt;
  const takeoverMs = (await takenOver) - killedAt;
  watchers.resumed.resume();
  const consistentMs = await traffic.consistentSince(killedAt);
  await subscribersExactlyOnce();
  expect(holderAndStandbys().holder).toBe(standby);
  recordFigure({
    fault: "worker SIGKILL, standby",
    traffic: traffic.summary(),
    consistentMs,
    note: `from the kill; takeover (standby subscribed) ${takeoverMs} ms, first call stored ${firstStoredMs} ms`,
  });
  expect(deployment.exits()).toEqual([]);
});

it("catches up what happened while the only worker was dead once it is started again", async () => {
  const { holder, standbys } = holderAndStandbys();
  expect(standbys).toEqual([]);
  await watchers.resumed.leave();
  await deployment.stopProcess(holder, "SIGKILL");
  const killedAt = Date.now();
  await traffic.play(4, 2);
  const waitMs = WORKER_DOWN_MS - (Date.now() - killedAt);
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs)); // the fault itself
  const restartedAt = Date.now();
  const worker = await deployment.startWorker();
  watchers.resumed.resume();
  const consistentMs = await traffic.consistentSince(restartedAt);
  await worker.waitFor(SUBSCRIPTION_ACTIVE);
  await subscribersExactlyOnce();
  recordFigure({
    fault: `worker SIGKILL, no standby, restarted after ${restartedAt - killedAt} ms`,
    traffic: traffic.summary(),
    consistentMs,
    note: "from the restart; catch-up",
  });
  expect(deployment.exits()).toEqual([]);
});

it("changes nothing when a restarted worker catches up again", async () => {
  const before = await deployment.storedState();
  expect(traffic.problems(before)).toEqual([]);
  const { holder } = holderAndStandbys();
  const { records } = await simControl<{ records: { id: number }[] }>(deployment.simulator, "GET", "requests");
  const lastRequest = records.at(-1)?.id ?? 0;
  await deployment.stopProcess(holder, "SIGTERM");
  const restartedAt = Date.now();
  await deployment.startWorker();
  // The new worker's catch-up read the call log again (recorded as caught up after the restart) and
  // synced the messages of the SMS channel.
  await waitUntil(
    async () => {
      const { ringCentralConnection } = await deployment.query<any>("{ ringCentralConnection { lastCaughtUpAt } }");
      const syncs = await simControl<{ records: unknown[] }>(
        deployment.simulator,
        "GET",
        `requests?path=message-sync&since=${lastRequest}`,
      );
      return Date.parse(ringCentralConnection.lastCaughtUpAt) >= restartedAt && syncs.records.length > 0;
    },
    CONSISTENT_WITHIN_MS,
    () => "the restarted worker did not catch up",
    deployment,
  );
  // One more call and text through the new subscription: once they are stored, what the catch-up
  // queued before them has been applied too.
  const marker = await traffic.play(1, 1);
  const consistentMs = await traffic.consistentSince(restartedAt);
  const after = await deployment.storedState();
  for (const call of marker.calls) after.calls.delete(call.from);
  for (const text of marker.texts) after.texts.delete(text.from);
  expect(after).toEqual(before);
  // Both API instances show the same.
  expect(await deployment.storedState(1)).toEqual(await deployment.storedState(0));
  await subscribersExactlyOnce();
  recordFigure({
    fault: "worker SIGTERM + restart (catch-up again)",
    traffic: traffic.summary(),
    consistentMs,
    note: "outcomes unchanged",
  });
  expect(deployment.exits()).toEqual([]);
});
