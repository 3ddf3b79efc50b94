// End-to-end set-up for call control, transfers and outbound calls: the simulator, the API (real
// PostgreSQL + Redis, an encryption key), RingCentral connected through the API by an admin who is
// the simulator's RingCentral admin, VOICE channels connected through the API, the worker, and
// agents whose emails match the simulator's extensions (R1.3) with their own RingCentral logins
// connected through `connectRingCentralLogin` (R2.5). Clients observe only through GraphQL.
import crypto from "node:crypto";
import { expect } from "vitest";
import { createUser } from "../../src/domain/users.ts";
import { createApiToken } from "../../src/domain/tokens.ts";
import { globalId, startTestApi, subscribe, type TestApi } from "./api.ts";
import { seedInbox } from "./seed.ts";
import { simControl, startTestSimulator, workerFor, type Simulator } from "./simulator.ts";

export const MAIN_NUMBER = "+18003151571";
export const EXT = {
  admin: { id: "809646016", number: "11101", email: "admin@switchboard.test", direct: "+19043014558" },
  dispatcher: { id: "979428016", number: "11104", email: "dispatcher@switchboard.test", direct: "+17203861294" },
  alice: { id: "62264425016", number: "11102", email: "alice@switchboard.test", direct: "+16505550111" },
  bob: { id: "62264426016", number: "11103", email: "bob@switchboard.test", direct: "+16505550112" },
} as const;

export interface Agent {
  id: string;
  globalId: string;
  token: string;
  email: string;
}

export interface VoiceWorld {
  sim: Simulator;
  api: TestApi;
  worker: ReturnType<typeof workerFor>;
  admin: Agent;
  users: Record<string, Agent>;
  inboxes: Record<string, { id: string; globalId: string }>;
  /** Number → the channel's global id. */
  channels: Record<string, string>;
  jwts: Record<string, string>;
  close(): Promise<void>;
}

export interface VoiceWorldOptions {
  /** Inbox name → member names (from `users`). */
  inboxes: Record<string, string[]>;
  /** Number → inbox name: connected as VOICE channels. */
  channels: Record<string, string>;
  /** Name → email for agents (AGENT role). */
  users: Record<string, string>;
  /** Names whose RingCentral login is connected (their email must be a simulator extension's). */
  logins: string[];
  /** More configuration for the API (beside the encryption key). */
  env?: Record<string, string>;
}

interface SimAccount {
  extensions: { id: string; email?: string; jwt?: string }[];
}

async function gql(api: TestApi, token: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const result = await api.request<any, any>(query, variables, token);
  expect(result.errors).toBeUndefined();
  return result.data;
}

export async function startVoiceWorld(options: VoiceWorldOptions): Promise<VoiceWorld> {
  const generous = { limit: 10_000, windowSeconds: 60, penaltySeconds: 60 };
  const sim = await startTestSimulator({
    rateLimits: { Light: generous, Medium: generous, Heavy: generous, Auth: generous },
  });
  const api = await startTestApi({
    env: { ENCRYPTION_KEY: crypto.randomBytes(32).toString("hex"), ...options.env },
  });
  const prisma = api.app.db.prisma;
  const make = async (email: string, role: "ADMIN" | "AGENT"): Promise<Agent> => {
    const user = await createUser(prisma, { email, name: email.split("@")[0]!, role });
    const { token } = await createApiToken(prisma, user.id, "test");
    return { id: user.id, globalId: globalId("User", user.id), token, email: user.email };
  };
  const admin = await make(EXT.admin.email, "ADMIN");
  const users: Record<string, Agent> = {};
  for (const [name, email] of Object.entries(options.users)) users[name] = await make(email, "AGENT");
  const inboxes: VoiceWorld["inboxes"] = {};
  for (const [name, members] of Object.entries(options.inboxes)) {
    inboxes[name] = await seedInbox(api.app, name, [admin.id, ...members.map((m) => users[m]!.id)]);
  }

  const { clientId, clientSecret, jwt } = sim.credentials();
  const verified = await gql(
    api,
    admin.token,
    "mutation($s: String!, $c: String!, $cs: String!, $j: String!) { verifyRingCentralCredentials(serverUrl: " +
      "$s, clientId: $c, clientSecret: $cs, jwt: $j) { __typename ... on Error { message } } }",
    { s: sim.url, c: clientId, cs: clientSecret, j: jwt },
  );
  expect(verified.verifyRingCentralCredentials.__typename).toBe("VerifyRingCentralCredentialsPayload");
  const channels: Record<string, string> = {};
  for (const [number, inbox] of Object.entries(options.channels)) {
    const connected = await gql(
      api,
      admin.token,
      "mutation($n: String!, $i: ID!) { connectChannel(number: $n, type: VOICE, inboxId: $i) { __typename ... " +
        "on Error { message } ... on ChannelPayload { channel { id } } } }",
      { n: number, i: inboxes[inbox]!.globalId },
    );
    expect(connected.connectChannel.__typename).toBe("ChannelPayload");
    channels[number] = connected.connectChannel.channel.id;
  }
  const worker = workerFor(api.app, sim);
  await worker.reconcile();

  const account = await simControl<SimAccount>(sim, "GET", "account");
  const jwts: Record<string, string> = {};
  for (const [name, agent] of Object.entries(users)) {
    const extension = account.extensions.find((e) => e.email === agent.email);
    if (extension?.jwt) jwts[name] = extension.jwt;
  }
  const world: VoiceWorld = {
    sim,
    api,
    worker,
    admin,
    users,
    inboxes,
    channels,
    jwts,
    close: async () => {
      await worker.close();
      await api.close();
      await sim.close();
    },
  };
  for (const name of options.logins) await connectLogin(world, name);
  return world;
}

/** The agent connects their own RingCentral login over GraphQL (R2.5). */
export async function connectLogin(world: VoiceWorld, name: string): Promise<void> {
  const data = await gql(
    world.api,
    world.users[name]!.token,
    "mutation($jwt: String!) { connectRingCentralLogin(jwt: $jwt) { __typename ... on Error { code message } " +
      "... on UserPayload { user { ringCentralLogin } } } }",
    { jwt: world.jwts[name] },
  );
  expect(data.connectRingCentralLogin).toEqual({ __typename: "UserPayload", user: { ringCentralLogin: "CONNECTED" } });
}

/** A GraphQL request that must not fail at the transport level. */
export function query(
  world: VoiceWorld,
  token: string,
  text: string,
  variables: Record<string, unknown> = {},
): Promise<any> {
  return gql(world.api, token, text, variables);
}

/**
 * A subscription whose events are scanned in order: `next(predicate)` resolves with the first
 * event after the last one returned that matches.
 */
export function stream(world: VoiceWorld, token: string, text: string, variables: Record<string, unknown> = {}) {
  const events = subscribe(world.api.wsClient(token), text, variables);
  let position = 0;
  return {
    events,
    async next(predicate: (data: any) => boolean): Promise<any> {
      for (;;) {
        while (position < events.received.length) {
          const event = events.received[position++]!;
          if (event.errors) throw new Error(`subscription error: ${JSON.stringify(event.errors)}`);
          if (predicate(event.data)) return event.data;
        }
        await events.until(position + 1);
        if (position >= events.received.length)
          throw new Error(`subscription ended: ${String(events.error ?? "complete")}`);
      }
    },
    close: () => events.unsubscribe(),
  };
}

/** What the app asked RingCentral's Call Control API, RingOut and CallOut for (the simulator's log). */
export async function callControlRequests(
  world: VoiceWorld,
  telephonySessionId?: string,
): Promise<{ method: string; path: string; body: any; status: number; extensionId: string }[]> {
  const suffix = telephonySessionId ? `?telephonySessionId=${encodeURIComponent(telephonySessionId)}` : "";
  return (await simControl<{ records: any[] }>(world.sim, "GET", `call-control-requests${suffix}`)).records;
}

/** Starts a scripted inbound call that rings `extensionId` and stays ringing (the app answers). */
export async function ringingCall(world: VoiceWorld, options: { from: string; to?: string; extensionId: string }) {
  return simControl<{ id: string; telephonySessionId: string }>(world.sim, "POST", "scenarios", {
    type: "inbound",
    to: options.to ?? MAIN_NUMBER,
    extensionId: options.extensionId,
    from: options.from,
    answer: false,
    mode: "step",
  }).then(async (scenario) => {
    await simControl(world.sim, "POST", `scenarios/${scenario.id}/step`, { count: 2 }); // dial, ring
    return scenario;
  });
}

export const CALL_UPDATED =
  `subscription($inbox: ID!) { callUpdated(inboxId: $inbox, after: "0") { cursor ` +
  "call { id status fromNumber direction answeredBy { email } conversation { id } parties { extensionId " +
  "muted } } } }";
export const INCOMING_CALL =
  `subscription { incomingCall(after: "0") { cursor callerNumber call { id status } ` + "conversation { id } } }";
export const CONVERSATION_EVENTS =
  "subscription($inbox: ID!) { conversationEvents(inboxId: $inbox, after: " +
  `"0") { cursor type payload conversation { id } } }`;

export const CONVERSATION =
  `query($id: ID!) { node(id: $id) { ... on Conversation {
  id status assignee { email } inboxes { name } contact { phoneNumbers { number } }
  calls(first: 5) { edges { node { id direction status fromNumber toNumber answeredBy { email } parties { partyId ` +
  `direction status reason extensionId muted } } } }
  timeline(first: 50) { edges { node { __typename ... on Activity { type data } } } }
} } }`;

export const CALL_RESULT =
  "{ __typename ... on Error { code message } ... on InvalidInputError { field } ... " +
  "on CallControlPayload { call { id status } } }";
