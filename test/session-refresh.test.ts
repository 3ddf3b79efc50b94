// Issue 17, point 6: RingCentral's refresh token is single-use (the simulator refuses a refresh
// token used once, as RingCentral does), so two clients of one agent refreshing the agent's
// session at once must not both spend the same one — the loser's session would be lost and the
// agent told to connect again. Two API instances (two processes' worth: own database pools, own
// RingCentral clients) on one database get a call-control request from the agent at the same moment,
// after RingCentral expired the access token: one refreshes, the other waits for it and uses the
// refreshed session. Observed through GraphQL and the simulator's request log.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { seedInbox } from "./support/seed.ts";
import { simControl, startTestSimulator, type Simulator } from "./support/simulator.ts";
import { EXT } from "./support/voice-agents.ts";

const CHANNEL_NUMBER = "+16505550199";

let sim: Simulator;
let database: TestDatabase;
let first: TestApi;
let second: TestApi;
let aliceToken: string;
let channelId: string;

async function gql(api: TestApi, token: string, query: string, variables: Record<string, unknown> = {}) {
  const result = await api.request<any, any>(query, variables, token);
  expect(result.errors).toBeUndefined();
  return result.data;
}

beforeAll(async () => {
  sim = await startTestSimulator();
  database = await createTestDatabase();
  const env = { ENCRYPTION_KEY: crypto.randomBytes(32).toString("hex") };
  first = await startTestApi({ database, env });
  second = await startTestApi({ database, env });
  const admin = await first.createUser("ADMIN", "refresh-admin");
  const alice = await first.createUser("AGENT", "refresh-alice");
  await first.app.db.prisma.user.update({ where: { id: alice.id }, data: { email: EXT.alice.email } });
  aliceToken = alice.token;
  const inbox = await seedInbox(first.app, "Alice line", [alice.id]);
  const { clientId, clientSecret, jwt } = sim.credentials();
  const verified = await gql(
    first,
    admin.token,
    `mutation($s: String!, $c: String!, $cs: String!, $j: String!) {
      verifyRingCentralCredentials(serverUrl: $s, clientId: $c, clientSecret: $cs, jwt: $j) { __typename } }`,
    { s: sim.url, c: clientId, cs: clientSecret, j: jwt },
  );
  expect(verified.verifyRingCentralCredentials.__typename).toBe("VerifyRingCentralCredentialsPayload");
  const connected = await gql(
    first,
    admin.token,
    `mutation($n: String!, $i: ID!) { connectChannel(number: $n, type: VOICE, inboxId: $i) {
      __typename ... on ChannelPayload { channel { id } } } }`,
    { n: CHANNEL_NUMBER, i: inbox.globalId },
  );
  channelId = connected.connectChannel.channel.id;
  const account = await simControl<{ extensions: { id: string; jwt?: string }[] }>(sim, "GET", "account");
  const aliceJwt = account.extensions.find((e) => e.id === EXT.alice.id)!.jwt!;
  const login = await gql(
    first,
    aliceToken,
    `mutation($jwt: String!) { connectRingCentralLogin(jwt: $jwt) { __typename ... on UserPayload { user { ringCentralLogin } } } }`,
    { jwt: aliceJwt },
  );
  expect(login.connectRingCentralLogin).toEqual({ __typename: "UserPayload", user: { ringCentralLogin: "CONNECTED" } });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
  await database?.drop();
  await sim?.close();
});

const PLACE = `mutation($channel: ID!, $to: String!) { placeCall(channelId: $channel, toPhoneNumber: $to) {
  __typename ... on Error { code } ... on PlaceCallPayload { toNumber } } }`;

const place = (api: TestApi, to: string) => gql(api, aliceToken, PLACE, { channel: channelId, to });

/** The refresh grants RingCentral received, with its answers. */
async function refreshes(): Promise<number[]> {
  const log = await simControl<{ records: { status: number; body?: Record<string, string> }[] }>(
    sim,
    "GET",
    `requests?path=${encodeURIComponent("/restapi/oauth/token")}`,
  );
  return log.records.filter((r) => r.body?.grant_type === "refresh_token").map((r) => r.status);
}

describe("refreshing one agent's RingCentral session from two processes at once", () => {
  it("refreshes once; both requests succeed and the login stays CONNECTED", async () => {
    await fetch(`${sim.url}/__sim/requests`, { method: "DELETE" });
    // RingCentral ends the access token: the next request of each client is refused and refreshes.
    await simControl(sim, "POST", "faults/tokens", { action: "expire", kind: "access", extensionId: EXT.alice.id });
    // Both clients' first requests (the agent's numbers, before the RingOut) reach RingCentral
    // before either is answered: both hold the old session when they learn it needs refreshing.
    await simControl(sim, "POST", "faults/hold", { path: "/extension/~/phone-number", count: 2 });
    const [a, b] = await Promise.all([place(first, "+14155550601"), place(second, "+14155550602")]);
    expect(a.placeCall).toEqual({ __typename: "PlaceCallPayload", toNumber: "+14155550601" });
    expect(b.placeCall).toEqual({ __typename: "PlaceCallPayload", toNumber: "+14155550602" });
    // One refresh token spent, once: the second client used the session the first one stored.
    expect(await refreshes()).toEqual([200]);
    const state = await gql(second, aliceToken, "{ viewer { ringCentralLogin } }");
    expect(state.viewer.ringCentralLogin).toBe("CONNECTED");
  });

  it("keeps working from the stored session afterwards, in either process", async () => {
    await simControl(sim, "POST", "faults/tokens", { action: "expire", kind: "access", extensionId: EXT.alice.id });
    expect((await place(second, "+14155550603")).placeCall.__typename).toBe("PlaceCallPayload");
    expect((await place(first, "+14155550604")).placeCall.__typename).toBe("PlaceCallPayload");
    // The first refreshed; the other started from what it stored.
    expect(await refreshes()).toEqual([200, 200]);
  });
});
