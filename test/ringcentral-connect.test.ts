// R2.1–R2.3 and R2.5 over real HTTP against the in-process simulator: verifying credentials (only
// admins here who are admins at RingCentral), credentials encrypted at rest and never returned or
// logged, channels connected/moved/disconnected/reconnected with the saved credentials, and each
// agent's own RingCentral login with its CONNECTED / EXPIRED / NOT_CONNECTED state.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/integrations/ringcentral/simulator/index.ts";
import { createLogger } from "../src/logger.ts";
import { createUser } from "../src/domain/users.ts";
import { createApiToken } from "../src/domain/tokens.ts";
import { agentSession } from "../src/domain/agent-sessions.ts";
import { createRingCentralServices } from "../src/integrations/ringcentral/services.ts";
import { globalId, startTestApi, type TestApi } from "./support/api.ts";
import { seedInbox } from "./support/seed.ts";

const encryptionKey = crypto.randomBytes(32);
let sim: Simulator;
let api: TestApi;
let admin: { id: string; token: string };
let agent: { id: string; token: string };
let alice: { id: string; token: string; jwt: string; extensionId: string };
let bobJwt: string;
let extensionJwt: string; // a non-admin RingCentral extension's JWT
let inboxA: { id: string; globalId: string };
let inboxB: { id: string; globalId: string };
const logLines: string[] = [];

interface SimExtensionRecord {
  id: string;
  email?: string;
  admin: boolean;
  jwt?: string;
}

async function control<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (response.status === 204 ? null : await response.json()) as T;
}

async function userWithEmail(email: string, role: "ADMIN" | "AGENT") {
  const user = await createUser(api.app.db.prisma, { email, name: email.split("@")[0]!, role });
  const { token } = await createApiToken(api.app.db.prisma, user.id, "test");
  return { id: user.id, token };
}

/** The domain's view with the API's key (agentSession is called by the worker, not over GraphQL). */
const domainDeps = () => {
  const services = createRingCentralServices(
    { encryptionKey, dataDir: "" },
    { retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1, secondMs: 1, defaultRetryAfterSeconds: 1 } },
  );
  return { prisma: api.app.db.prisma, secrets: services.secrets, gateway: services.gateway };
};

beforeAll(async () => {
  const generous = { limit: 10_000, windowSeconds: 60, penaltySeconds: 60 };
  sim = await startSimulator({
    port: 0,
    rateLimits: { Light: generous, Medium: generous, Heavy: generous, Auth: generous },
  });
  api = await startTestApi({
    env: { ENCRYPTION_KEY: encryptionKey.toString("hex") },
    logger: createLogger("debug", { write: (line: string) => void logLines.push(line) }),
  });
  admin = await api.createUser("ADMIN", "boss");
  agent = await api.createUser("AGENT", "worker");
  const account = await control<{ extensions: SimExtensionRecord[] }>("GET", "/__sim/account");
  const byEmail = (email: string) => account.extensions.find((e) => e.email === email)!;
  extensionJwt = byEmail("dispatcher@switchboard.test").jwt!;
  bobJwt = byEmail("bob@switchboard.test").jwt!;
  alice = {
    ...(await userWithEmail("Alice@Switchboard.test", "AGENT")),
    jwt: byEmail("alice@switchboard.test").jwt!,
    extensionId: byEmail("alice@switchboard.test").id,
  };
  inboxA = await seedInbox(api.app, "Sales", [agent.id, alice.id]);
  inboxB = await seedInbox(api.app, "Support", [agent.id]);
});
afterAll(async () => {
  await api?.close();
  await sim?.close();
});

const VERIFY = `mutation($serverUrl: String!, $clientId: String!, $clientSecret: String!, $jwt: String!) {
  verifyRingCentralCredentials(serverUrl: $serverUrl, clientId: $clientId, clientSecret: $clientSecret, jwt: $jwt) {
    __typename
    ... on Error { code message }
    ... on InvalidInputError { field }
    ... on RingCentralAuthError { ringCentralCode }
    ... on VerifyRingCentralCredentialsPayload {
      accountId
      connection { serverUrl clientId accountId ownerExtensionId status }
      numbers { id phoneNumber label usageType canSendSms connectedTypes }
    }
  }
}`;

const CONNECT =
  `mutation($number: String!, $type: ChannelType!, $inboxId: ID!, $closeAfterSeconds: Int) {
  connectChannel(number: $number, type: $type, inboxId: $inboxId, closeAfterSeconds: $closeAfterSeconds) {
    __typename
    ... on Error { code message }
    ... on InvalidInputError { field }
    ... on ConflictError { field }
    ... on ChannelPayload { channel { id type phoneNumber label ringCentralNumberId closeAfterSeconds ` +
  `disconnectedAt inbox { id } } }
  }
}`;

const NUMBERS = `{ ringCentralNumbers { id phoneNumber canSendSms connectedTypes } }`;

const credentials = (overrides: Record<string, string> = {}) => {
  const { clientId, clientSecret, jwt } = sim.credentials();
  return { serverUrl: sim.url, clientId, clientSecret, jwt, ...overrides };
};

const connectionCount = () => api.app.db.prisma.ringCentralConnection.count();

describe("R2.1 verifying RingCentral credentials", () => {
  it("before anything is connected: no connection, no numbers, and channels cannot be connected", async () => {
    const result = await api.request(
      `{ ringCentralConnection { accountId } ringCentralNumbers { id } }`,
      {},
      admin.token,
    );
    expect(result).toEqual({ data: { ringCentralConnection: null, ringCentralNumbers: [] } });
    const connect = await api.request(
      CONNECT,
      { number: "+16505550111", type: "VOICE", inboxId: inboxA.globalId },
      admin.token,
    );
    expect(connect.data).toMatchObject({
      connectChannel: { __typename: "RingCentralNotConnectedError", code: "RINGCENTRAL_NOT_CONNECTED" },
    });
  });

  it("a Switchboard agent is refused (FORBIDDEN) and nothing is stored", async () => {
    const result = await api.request(VERIFY, credentials(), agent.token);
    expect(result.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await connectionCount()).toBe(0);
  });

  it("a RingCentral extension that is not a RingCentral admin is refused, nothing stored", async () => {
    const result = await api.request(VERIFY, credentials({ jwt: extensionJwt }), admin.token);
    expect(result.data).toMatchObject({
      verifyRingCentralCredentials: { __typename: "RingCentralPermissionError", code: "RINGCENTRAL_PERMISSION_DENIED" },
    });
    expect(await connectionCount()).toBe(0);
  });

  it("a wrong client secret or a bad JWT is a typed error with a code, nothing stored", async () => {
    const wrongSecret = await api.request(VERIFY, credentials({ clientSecret: "wrong-secret-value" }), admin.token);
    expect(wrongSecret.data).toMatchObject({
      verifyRingCentralCredentials: {
        __typename: "RingCentralAuthError",
        code: "RINGCENTRAL_AUTH_FAILED",
        ringCentralCode: "OAU-153",
      },
    });
    const badJwt = await api.request(
      VERIFY,
      credentials({ jwt: "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.forged" }),
      admin.token,
    );
    expect(badJwt.data).toMatchObject({
      verifyRingCentralCredentials: { __typename: "RingCentralAuthError", code: "RINGCENTRAL_AUTH_FAILED" },
    });
    const badUrl = await api.request(VERIFY, credentials({ serverUrl: "ftp://example.com" }), admin.token);
    expect(badUrl.data).toMatchObject({
      verifyRingCentralCredentials: { __typename: "InvalidInputError", field: "serverUrl" },
    });
    expect(await connectionCount()).toBe(0);
  });

  it("an admin who is a RingCentral admin verifies: account id and the numbers, and the connection is saved", async () => {
    const result = await api.request(VERIFY, credentials(), admin.token);
    expect(result.errors).toBeUndefined();
    const payload = (result.data as any).verifyRingCentralCredentials;
    expect(payload.__typename).toBe("VerifyRingCentralCredentialsPayload");
    expect(payload.accountId).toBe("809646016");
    expect(payload.connection).toEqual({
      serverUrl: sim.url,
      clientId: sim.credentials().clientId,
      accountId: "809646016",
      ownerExtensionId: "809646016",
      status: "VERIFIED",
    });
    expect(payload.numbers).toContainEqual({
      id: "1001815016",
      phoneNumber: "+18003151571",
      label: "Main",
      usageType: "MainCompanyNumber",
      canSendSms: false,
      connectedTypes: [],
    });
    expect(payload.numbers).toContainEqual({
      id: "1001818016",
      phoneNumber: "+16505550111",
      label: null,
      usageType: "DirectNumber",
      canSendSms: true,
      connectedTypes: [],
    });
    expect(await connectionCount()).toBe(1);
  });
});

describe("R2.2 credentials encrypted at rest, never returned or logged", () => {
  const secrets = () => [sim.credentials().clientSecret, sim.credentials().jwt];

  it("the stored row holds no plaintext secret or JWT, nor does any other table", async () => {
    const prisma = api.app.db.prisma;
    const [row] = await prisma.$queryRawUnsafe<{ encryptedCredentials: string }[]>(
      `SELECT "encryptedCredentials" FROM "RingCentralConnection"`,
    );
    expect(row!.encryptedCredentials).toMatch(/^v1:/);
    const tables = await prisma.$queryRawUnsafe<{ table_name: string }[]>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.length).toBeGreaterThan(10);
    for (const secret of secrets()) {
      expect(row!.encryptedCredentials).not.toContain(secret);
      for (const { table_name } of tables) {
        const [{ count }] = await prisma.$queryRawUnsafe<{ count: bigint }[]>(
          `SELECT count(*) AS count FROM "${table_name}" t WHERE t::text LIKE '%' || $1 || '%'`,
          secret,
        );
        expect({ table: table_name, count: Number(count) }).toEqual({ table: table_name, count: 0 });
      }
    }
  });

  it("the API never returns them: the connection type has no field that could hold them", async () => {
    const result = await api.request(
      "{ ringCentralConnection { serverUrl clientId accountId ownerExtensionId status subscriptionMode " +
        `lastCaughtUpAt createdAt updatedAt } __type(name: "RingCentralConnection") { fields { name } } }`,
      {},
      admin.token,
    );
    expect(result.errors).toBeUndefined();
    const text = JSON.stringify(result);
    for (const secret of secrets()) expect(text).not.toContain(secret);
    const fields = (result.data as any).__type.fields.map((f: { name: string }) => f.name.toLowerCase());
    expect(fields.filter((name: string) => /secret|jwt|token|credential/.test(name))).toEqual([]);
  });

  it("agents may not read the connection", async () => {
    const result = await api.request(`{ ringCentralConnection { accountId } }`, {}, agent.token);
    expect(result.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("numbers are listed again with the saved credentials (no second prompt, and the RingCentral session is reused)", async () => {
    await control("DELETE", "/__sim/requests");
    const result = await api.request(NUMBERS, {}, admin.token);
    expect(result.errors).toBeUndefined();
    expect((result.data as any).ringCentralNumbers).toContainEqual({
      id: "1001820016",
      phoneNumber: "+16505550199",
      canSendSms: true,
      connectedTypes: [],
    });
    const { records } = await control<{ records: { path: string; status: number }[] }>(
      "GET",
      "/__sim/requests?path=/restapi/oauth/token",
    );
    expect(records).toEqual([]);
  });
});

describe("R2.3 channels", () => {
  let voiceId = "";
  let smsId = "";

  it("connects the same number once as VOICE and once as SMS (by id or by number); a duplicate is refused", async () => {
    const voice = await api.request(
      CONNECT,
      { number: "1001818016", type: "VOICE", inboxId: inboxA.globalId },
      admin.token,
    );
    expect(voice.data).toMatchObject({
      connectChannel: {
        channel: {
          type: "VOICE",
          phoneNumber: "+16505550111",
          ringCentralNumberId: "1001818016",
          closeAfterSeconds: null,
          disconnectedAt: null,
          inbox: { id: inboxA.globalId },
        },
      },
    });
    voiceId = (voice.data as any).connectChannel.channel.id;
    const sms = await api.request(
      CONNECT,
      { number: "(650) 555-0111", type: "SMS", inboxId: inboxA.globalId, closeAfterSeconds: 3600 },
      admin.token,
    );
    expect(sms.data).toMatchObject({
      connectChannel: { channel: { type: "SMS", phoneNumber: "+16505550111", closeAfterSeconds: 3600 } },
    });
    smsId = (sms.data as any).connectChannel.channel.id;

    const duplicate = await api.request(
      CONNECT,
      { number: "+16505550111", type: "VOICE", inboxId: inboxB.globalId },
      admin.token,
    );
    expect(duplicate.data).toMatchObject({
      connectChannel: { __typename: "ConflictError", code: "CONFLICT", field: "number" },
    });

    const numbers = await api.request(NUMBERS, {}, admin.token);
    expect((numbers.data as any).ringCentralNumbers).toContainEqual({
      id: "1001818016",
      phoneNumber: "+16505550111",
      canSendSms: true,
      connectedTypes: ["SMS", "VOICE"],
    });
  });

  it("refuses SMS on a number that cannot send SMS, numbers of other accounts, and a close setting on VOICE", async () => {
    const smsOnMain = await api.request(
      CONNECT,
      { number: "+18003151571", type: "SMS", inboxId: inboxA.globalId },
      admin.token,
    );
    expect(smsOnMain.data).toMatchObject({
      connectChannel: { __typename: "InvalidInputError", code: "BAD_USER_INPUT", field: "type" },
    });
    const foreign = await api.request(
      CONNECT,
      { number: "+14155550100", type: "VOICE", inboxId: inboxA.globalId },
      admin.token,
    );
    expect(foreign.data).toMatchObject({ connectChannel: { __typename: "InvalidInputError", field: "number" } });
    const voiceClose = await api.request(
      CONNECT,
      { number: "+18003151571", type: "VOICE", inboxId: inboxA.globalId, closeAfterSeconds: 600 },
      admin.token,
    );
    expect(voiceClose.data).toMatchObject({
      connectChannel: { __typename: "InvalidInputError", field: "closeAfterSeconds" },
    });
    const noInbox = await api.request(
      CONNECT,
      { number: "+18003151571", type: "VOICE", inboxId: globalId("Inbox", crypto.randomUUID()) },
      admin.token,
    );
    expect(noInbox.data).toMatchObject({ connectChannel: { __typename: "NotFoundError" } });
    expect(await api.app.db.prisma.channel.count()).toBe(2);
  });

  it("agents may not connect channels", async () => {
    const result = await api.request(
      CONNECT,
      { number: "+18003151571", type: "VOICE", inboxId: inboxA.globalId },
      agent.token,
    );
    expect(result.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("moves a channel to another inbox and changes the SMS close setting", async () => {
    const moved = await api.request(
      "mutation($c: ID!, $i: ID!) { moveChannel(channelId: $c, inboxId: $i) { __typename ... on ChannelPayload " +
        "{ channel { id inbox { id } } } } }",
      { c: voiceId, i: inboxB.globalId },
      admin.token,
    );
    expect(moved.data).toEqual({
      moveChannel: { __typename: "ChannelPayload", channel: { id: voiceId, inbox: { id: inboxB.globalId } } },
    });
    const update =
      "mutation($c: ID!, $s: Int) { updateChannel(channelId: $c, closeAfterSeconds: $s) { " +
      "__typename ... on Error { code } ... on ChannelPayload { channel { closeAfterSeconds } } } }";
    expect((await api.request(update, { c: smsId, s: 86400 }, admin.token)).data).toEqual({
      updateChannel: { __typename: "ChannelPayload", channel: { closeAfterSeconds: 86400 } },
    });
    expect((await api.request(update, { c: smsId, s: null }, admin.token)).data).toEqual({
      updateChannel: { __typename: "ChannelPayload", channel: { closeAfterSeconds: null } },
    });
    expect((await api.request(update, { c: voiceId, s: 600 }, admin.token)).data).toEqual({
      updateChannel: { __typename: "InvalidInputError", code: "BAD_USER_INPUT" },
    });
  });

  it("disconnects a channel (it leaves the lists) and connects it again with the saved credentials", async () => {
    const disconnected = await api.request(
      "mutation($c: ID!) { disconnectChannel(channelId: $c) { __typename ... on ChannelPayload { channel { id " +
        "disconnectedAt } } } }",
      { c: voiceId },
      admin.token,
    );
    expect((disconnected.data as any).disconnectChannel.channel.disconnectedAt).toEqual(expect.any(String));
    const listed = await api.request(`{ channels { id } }`, {}, admin.token);
    expect((listed.data as any).channels.map((c: { id: string }) => c.id)).toEqual([smsId]);
    const numbers = await api.request(NUMBERS, {}, admin.token);
    expect((numbers.data as any).ringCentralNumbers).toContainEqual(
      expect.objectContaining({ id: "1001818016", connectedTypes: ["SMS"] }),
    );
    const moveDisconnected = await api.request(
      `mutation($c: ID!, $i: ID!) { moveChannel(channelId: $c, inboxId: $i) { __typename } }`,
      { c: voiceId, i: inboxA.globalId },
      admin.token,
    );
    expect(moveDisconnected.data).toEqual({ moveChannel: { __typename: "NotFoundError" } });

    const again = await api.request(
      CONNECT,
      { number: "+16505550111", type: "VOICE", inboxId: inboxA.globalId },
      admin.token,
    );
    expect(again.data).toMatchObject({
      connectChannel: { channel: { id: voiceId, disconnectedAt: null, inbox: { id: inboxA.globalId } } },
    });
  });

  it("a further channel needs no credentials (R2.2) and no new RingCentral login", async () => {
    await control("DELETE", "/__sim/requests");
    const support = await api.request(
      CONNECT,
      { number: "+16505550199", type: "SMS", inboxId: inboxB.globalId },
      admin.token,
    );
    expect(support.data).toMatchObject({
      connectChannel: { __typename: "ChannelPayload", channel: { phoneNumber: "+16505550199", label: "Support line" } },
    });
    const { records } = await control<{ records: unknown[] }>("GET", "/__sim/requests?path=/restapi/oauth/token");
    expect(records).toEqual([]);
  });
});

describe("R2.5 an agent's own RingCentral login", () => {
  const LOGIN_STATE = `{ viewer { ringCentralLogin } }`;
  const CONNECT_LOGIN =
    "mutation($jwt: String!) { connectRingCentralLogin(jwt: $jwt) { __typename ... on " +
    "Error { code } ... on InvalidInputError { field } ... on UserPayload { user { id ringCentralLogin } } " +
    "} }";
  const state = async (token: string) =>
    ((await api.request(LOGIN_STATE, {}, token)).data as any).viewer.ringCentralLogin;

  it("starts NOT_CONNECTED; call control without a session is RINGCENTRAL_LOGIN_REQUIRED", async () => {
    expect(await state(alice.token)).toBe("NOT_CONNECTED");
    await expect(agentSession(domainDeps(), alice.id)).rejects.toMatchObject({ code: "RINGCENTRAL_LOGIN_REQUIRED" });
  });

  it("refuses a JWT of an extension with another email (R1.3) and a bad JWT; nothing stored", async () => {
    const other = await api.request(CONNECT_LOGIN, { jwt: bobJwt }, alice.token);
    expect(other.data).toEqual({
      connectRingCentralLogin: { __typename: "InvalidInputError", code: "BAD_USER_INPUT", field: "jwt" },
    });
    const bad = await api.request(CONNECT_LOGIN, { jwt: "not.a.jwt" }, alice.token);
    expect(bad.data).toMatchObject({ connectRingCentralLogin: { code: "RINGCENTRAL_AUTH_FAILED" } });
    expect(await api.app.db.prisma.agentRingCentralSession.count()).toBe(0);
  });

  it("connects: CONNECTED, tokens stored encrypted, the JWT not stored at all", async () => {
    const result = await api.request(CONNECT_LOGIN, { jwt: alice.jwt }, alice.token);
    expect(result.data).toEqual({
      connectRingCentralLogin: {
        __typename: "UserPayload",
        user: { id: globalId("User", alice.id), ringCentralLogin: "CONNECTED" },
      },
    });
    expect(await state(alice.token)).toBe("CONNECTED");
    expect(await state(agent.token)).toBe("NOT_CONNECTED");
    const row = await api.app.db.prisma.agentRingCentralSession.findUniqueOrThrow({ where: { userId: alice.id } });
    expect(row.encryptedTokens).toMatch(/^v1:/);
    expect(row.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    const [{ count }] = await api.app.db.prisma.$queryRawUnsafe<{ count: bigint }[]>(
      `SELECT count(*) AS count FROM "AgentRingCentralSession" t WHERE t::text LIKE '%' || $1 || '%'`,
      alice.jwt,
    );
    expect(Number(count)).toBe(0);
  });

  it("agentSession gives a client of the agent's extension; refreshed tokens are stored", async () => {
    const client = await agentSession(domainDeps(), alice.id);
    expect((await client.extensionInfo()).id).toBe(alice.extensionId);
    const before = (await api.app.db.prisma.agentRingCentralSession.findUniqueOrThrow({ where: { userId: alice.id } }))
      .encryptedTokens;
    await control("POST", "/__sim/faults/tokens", { action: "expire", kind: "access", extensionId: alice.extensionId });
    expect((await client.extensionInfo()).id).toBe(alice.extensionId);
    const after = (await api.app.db.prisma.agentRingCentralSession.findUniqueOrThrow({ where: { userId: alice.id } }))
      .encryptedTokens;
    expect(after).not.toBe(before);
    // A later session starts from the stored (refreshed) tokens: the single-use refresh token was not lost.
    const later = await agentSession(domainDeps(), alice.id);
    expect((await later.extensionInfo()).id).toBe(alice.extensionId);
  });

  it("when RingCentral expires the session: EXPIRED, and agentSession throws RINGCENTRAL_LOGIN_REQUIRED", async () => {
    const client = await agentSession(domainDeps(), alice.id);
    await control("POST", "/__sim/faults/tokens", { action: "expire", kind: "all", extensionId: alice.extensionId });
    await expect(client.extensionInfo()).rejects.toMatchObject({ code: "RINGCENTRAL_LOGIN_REQUIRED" });
    expect(await state(alice.token)).toBe("EXPIRED");
    await expect(agentSession(domainDeps(), alice.id)).rejects.toMatchObject({ code: "RINGCENTRAL_LOGIN_REQUIRED" });
  });

  it("reconnecting makes it CONNECTED again; disconnecting makes it NOT_CONNECTED", async () => {
    expect((await api.request(CONNECT_LOGIN, { jwt: alice.jwt }, alice.token)).data).toMatchObject({
      connectRingCentralLogin: { user: { ringCentralLogin: "CONNECTED" } },
    });
    const result = await api.request(
      `mutation { disconnectRingCentralLogin { __typename ... on UserPayload { user { ringCentralLogin } } } }`,
      {},
      alice.token,
    );
    expect(result.data).toEqual({
      disconnectRingCentralLogin: { __typename: "UserPayload", user: { ringCentralLogin: "NOT_CONNECTED" } },
    });
    await expect(agentSession(domainDeps(), alice.id)).rejects.toMatchObject({ code: "RINGCENTRAL_LOGIN_REQUIRED" });
  });
});

describe("R2.2 logs", () => {
  it("no log line holds the client secret, a JWT or a token", async () => {
    expect(logLines.length).toBeGreaterThan(0);
    const logs = logLines.join("\n");
    for (const secret of [
      sim.credentials().clientSecret,
      sim.credentials().jwt,
      alice.jwt,
      bobJwt,
      extensionJwt,
      "wrong-secret-value",
    ]) {
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toMatch(/access_token|refresh_token|"assertion"/);
  });
});
