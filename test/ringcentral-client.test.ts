// The RingCentral client against the in-process simulator through the unmodified SDK: typed helpers,
// 429s waited out as Retry-After asks (shared by every client of the user), 5xx and network errors
// retried with exponential backoff on idempotent calls only, re-login with the JWT after a failed
// refresh, and RingCentral errors mapped to typed errors. Delays are shrunk (1 ms per "second").
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/integrations/ringcentral/simulator/index.ts";
import { RingCentralClient, type RingCentralClientOptions } from "../src/integrations/ringcentral/client.ts";
import { realSleep } from "../src/integrations/ringcentral/rate-limiter.ts";

let sim: Simulator;
let admin: { id: string; jwt: string };
let alice: { id: string; jwt: string };

interface SimExtensionRecord {
  id: string;
  email?: string;
  admin: boolean;
  jwt?: string;
}
interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  body?: Record<string, string>;
}

async function control<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (response.status === 204 ? null : await response.json()) as T;
}

const requests = async (path: string) =>
  (await control<{ records: LoggedRequest[] }>("GET", `/__sim/requests?path=${encodeURIComponent(path)}`)).records;

beforeAll(async () => {
  const generous = { limit: 10_000, windowSeconds: 60, penaltySeconds: 60 };
  sim = await startSimulator({
    port: 0,
    rateLimits: { Light: generous, Medium: generous, Heavy: generous, Auth: generous },
  });
  const account = await control<{ extensions: SimExtensionRecord[] }>("GET", "/__sim/account");
  const find = (email: string) => {
    const extension = account.extensions.find((e) => e.email === email)!;
    return { id: extension.id, jwt: extension.jwt! };
  };
  admin = find("admin@switchboard.test");
  alice = find("alice@switchboard.test");
});
afterAll(() => sim.close());
beforeEach(async () => {
  await control("DELETE", "/__sim/faults");
  await control("DELETE", "/__sim/requests");
});

/** A client whose waits are recorded (and 1 ms per second of Retry-After). */
function clientFor(user: { jwt: string }, overrides: Partial<RingCentralClientOptions> = {}) {
  const waits: number[] = [];
  const { clientId, clientSecret } = sim.credentials();
  const client = new RingCentralClient({
    serverUrl: sim.url,
    clientId,
    clientSecret,
    jwt: user.jwt,
    retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 50, secondMs: 1, defaultRetryAfterSeconds: 60 },
    sleep: (ms) => {
      waits.push(ms);
      return realSleep(ms);
    },
    ...overrides,
  });
  return { client, waits };
}

describe("typed helpers", () => {
  it("logs in with the JWT and reads the extension, its admin permission, numbers and extensions", async () => {
    const { client } = clientFor(admin);
    await client.login();
    expect(await client.extensionInfo()).toMatchObject({
      id: admin.id,
      accountId: "809646016",
      email: "admin@switchboard.test",
      type: "User",
    });
    expect((await client.authzProfile()).isAdmin).toBe(true);
    expect(await client.verify()).toEqual({
      accountId: "809646016",
      extensionId: admin.id,
      isAdmin: true,
      email: "admin@switchboard.test",
    });

    const numbers = await client.listPhoneNumbers();
    expect(numbers).toContainEqual({
      id: "1001815016",
      phoneNumber: "+18003151571",
      label: "Main",
      usageType: "MainCompanyNumber",
      canSendSms: false,
      extensionId: "62242421016",
    });
    expect(numbers).toContainEqual({
      id: "1001818016",
      phoneNumber: "+16505550111",
      label: null,
      usageType: "DirectNumber",
      canSendSms: true,
      extensionId: "62264425016",
    });
    expect(numbers).toContainEqual({
      id: "1001820016",
      phoneNumber: "+16505550199",
      label: "Support line",
      usageType: "CompanyNumber",
      canSendSms: true,
      extensionId: "62242422016",
    });
    expect(new Set(numbers.map((n) => n.id)).size).toBe(numbers.length);

    const extensions = await client.listExtensions();
    expect(extensions).toContainEqual({
      id: alice.id,
      extensionNumber: "11102",
      name: "Alice Agent",
      email: "alice@switchboard.test",
      type: "User",
    });
    expect(extensions.find((e) => e.type === "Department")).toMatchObject({ name: "Support", email: null });
  });

  it("a non-admin extension is not an admin in its authz profile", async () => {
    const { client } = clientFor(alice);
    expect(await client.verify()).toMatchObject({
      extensionId: alice.id,
      isAdmin: false,
      email: "alice@switchboard.test",
    });
  });

  it("each client keeps its own tokens (separate stores, not the SDK's shared localStorage)", async () => {
    const a = clientFor(admin).client;
    const b = clientFor(alice).client;
    await Promise.all([a.login(), b.login()]);
    expect((await a.extensionInfo()).id).toBe(admin.id);
    expect((await b.extensionInfo()).id).toBe(alice.id);
    expect((await a.session()).data.access_token).not.toBe((await b.session()).data.access_token);
  });
});

describe("errors are typed", () => {
  it("a wrong client secret or a bad JWT → RINGCENTRAL_AUTH_FAILED, without the secret in the message", async () => {
    const wrongSecret = clientFor(admin, { clientSecret: "not-the-secret-123" }).client;
    const error = await wrongSecret.login().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "RINGCENTRAL_AUTH_FAILED", ringCentralCode: "OAU-153" });
    expect(String((error as Error).message)).not.toContain("not-the-secret-123");

    const badJwt = clientFor({ jwt: "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.bogus" }).client;
    await expect(badJwt.login()).rejects.toMatchObject({
      code: "RINGCENTRAL_AUTH_FAILED",
      ringCentralCode: expect.stringMatching(/^OAU-/),
    });
  });

  it("403 (missing permission) → RINGCENTRAL_PERMISSION_DENIED; other 4xx → RINGCENTRAL_REQUEST_REJECTED", async () => {
    const { client } = clientFor(admin);
    // A voice-only number of the admin's extension: RingCentral refuses to send SMS from it.
    await control("POST", "/__sim/phone-numbers", {
      phoneNumber: "+16505550177",
      extensionId: admin.id,
      features: ["CallerId"],
    });
    const sms = { from: { phoneNumber: "+16505550177" }, to: [{ phoneNumber: "+14155550100" }], text: "hi" };
    await expect(client.request("POST", "/restapi/v1.0/account/~/extension/~/sms", sms)).rejects.toMatchObject({
      code: "RINGCENTRAL_PERMISSION_DENIED",
      ringCentralCode: "MSG-367",
    });
    await expect(client.request("GET", "/restapi/v1.0/account/~/extension/424242")).rejects.toMatchObject({
      code: "RINGCENTRAL_REQUEST_REJECTED",
      status: 404,
    });
  });
});

describe("rate limits (429 + Retry-After)", () => {
  it("waits out Retry-After and retries until it succeeds", async () => {
    const { client, waits } = clientFor(admin);
    await client.login();
    await control("POST", "/__sim/faults/rate-limit", { group: "Light", count: 2, retryAfterSeconds: 200 });
    expect((await client.extensionInfo()).id).toBe(admin.id);
    const sent = await requests("/extension/~");
    expect(sent.filter((r) => r.path.endsWith("/extension/~")).map((r) => r.status)).toEqual([429, 429, 200]);
    // It waited before each retry, never longer than Retry-After (200 "seconds" of 1 ms).
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...waits)).toBeLessThanOrEqual(200);
  });

  it("holds the group only for Retry-After, not for the X-Rate-Limit-Window the 429 also carries", async () => {
    const { client, waits } = clientFor(admin);
    await client.login();
    // The simulator's window is 60 "seconds" and the 429 says Remaining 0; Retry-After says 4.
    await control("POST", "/__sim/faults/rate-limit", { group: "Light", count: 1, retryAfterSeconds: 4 });
    expect((await client.extensionInfo()).id).toBe(admin.id);
    expect(waits.length).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(4);
    // Nothing else of the group waits any longer either.
    waits.length = 0;
    await client.extensionInfo();
    expect(waits).toEqual([]);
  });

  it("the limiter is per user and global: another client of the same user waits out the penalty too", async () => {
    // The first client gives up at once, leaving the user's Light group on hold for 300 "seconds".
    const first = clientFor(admin, {
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, secondMs: 1, defaultRetryAfterSeconds: 1 },
    });
    const second = clientFor(admin);
    await Promise.all([first.client.login(), second.client.login()]);
    await control("POST", "/__sim/faults/rate-limit", { group: "Light", count: 1, retryAfterSeconds: 300 });
    await expect(first.client.extensionInfo()).rejects.toMatchObject({ code: "RINGCENTRAL_RATE_LIMITED" });
    // The second client (same user) waits before sending anything of that group.
    await second.client.extensionInfo();
    expect(second.waits.length).toBeGreaterThan(0);
    expect(
      (await requests("/extension/~")).filter((r) => r.path.endsWith("/extension/~")).map((r) => r.status),
    ).toEqual([429, 200]);
    // A client of another user is not held.
    const other = clientFor(alice);
    await other.client.login();
    await control("POST", "/__sim/faults/rate-limit", { group: "Light", count: 1, retryAfterSeconds: 300 });
    await expect(first.client.extensionInfo()).rejects.toMatchObject({ code: "RINGCENTRAL_RATE_LIMITED" });
    await other.client.extensionInfo();
    expect(other.waits).toEqual([]);
  });

  it("gives up with RINGCENTRAL_RATE_LIMITED after the configured retries", async () => {
    const { client } = clientFor(admin, {
      retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5, secondMs: 1, defaultRetryAfterSeconds: 60 },
    });
    await client.login();
    await control("POST", "/__sim/faults/rate-limit", { group: "Light", count: 10, retryAfterSeconds: 5 });
    await expect(client.extensionInfo()).rejects.toMatchObject({
      code: "RINGCENTRAL_RATE_LIMITED",
      retryAfterSeconds: 5,
    });
    expect(
      (await requests("/extension/~")).filter((r) => r.path.endsWith("/extension/~")).map((r) => r.status),
    ).toEqual([429, 429, 429]);
  });

  it("the login itself (Auth group) is waited out too", async () => {
    const { client } = clientFor(admin);
    await control("POST", "/__sim/faults/rate-limit", { group: "Auth", count: 1, retryAfterSeconds: 50 });
    await client.login();
    expect((await requests("/restapi/oauth/token")).map((r) => r.status)).toEqual([429, 200]);
  });
});

describe("expired or revoked sessions: re-login with the JWT", () => {
  const grants = async () => (await requests("/restapi/oauth/token")).map((r) => `${r.body?.grant_type}:${r.status}`);

  it("an expired access token is refreshed; an expired refresh token → a new JWT login, and the call succeeds", async () => {
    const { client } = clientFor(admin);
    await client.login();
    await control("POST", "/__sim/faults/tokens", { action: "expire", kind: "access", extensionId: admin.id });
    expect((await client.extensionInfo()).id).toBe(admin.id);
    expect(await grants()).toEqual(["urn:ietf:params:oauth:grant-type:jwt-bearer:200", "refresh_token:200"]);

    await control("DELETE", "/__sim/requests");
    await control("POST", "/__sim/faults/tokens", { action: "expire", kind: "all", extensionId: admin.id });
    expect((await client.extensionInfo()).id).toBe(admin.id);
    expect(await grants()).toEqual(["refresh_token:400", "urn:ietf:params:oauth:grant-type:jwt-bearer:200"]);
  });

  it("a revoked session (password change) → a new JWT login", async () => {
    const { client } = clientFor(admin);
    await client.login();
    await control("DELETE", "/__sim/requests");
    await control("POST", "/__sim/faults/tokens", { action: "revoke", extensionId: admin.id });
    expect(await client.listExtensions()).not.toEqual([]);
    expect(await grants()).toEqual(["refresh_token:400", "urn:ietf:params:oauth:grant-type:jwt-bearer:200"]);
  });

  it("concurrent calls that find the session dead log in once", async () => {
    const { client } = clientFor(admin);
    await client.login();
    await control("DELETE", "/__sim/requests");
    await control("POST", "/__sim/faults/tokens", { action: "revoke", extensionId: admin.id });
    await Promise.all([client.extensionInfo(), client.extensionInfo(), client.authzProfile()]);
    expect((await grants()).filter((g) => g.startsWith("urn:"))).toEqual([
      "urn:ietf:params:oauth:grant-type:jwt-bearer:200",
    ]);
  });

  it("without a JWT (a stored session), a dead session is reported as RINGCENTRAL_LOGIN_REQUIRED once", async () => {
    const loggedIn = clientFor(alice).client;
    await loggedIn.login();
    const session = await loggedIn.session();
    let lost = 0;
    const { clientId, clientSecret } = sim.credentials();
    const resumed = new RingCentralClient({
      serverUrl: sim.url,
      clientId,
      clientSecret,
      session,
      hooks: { onSessionLost: async () => void lost++ },
      retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1, secondMs: 1, defaultRetryAfterSeconds: 1 },
    });
    await resumed.restore(session);
    expect((await resumed.extensionInfo()).id).toBe(alice.id);
    await control("POST", "/__sim/faults/tokens", { action: "expire", kind: "all", extensionId: alice.id });
    await expect(resumed.extensionInfo()).rejects.toMatchObject({ code: "RINGCENTRAL_LOGIN_REQUIRED" });
    await expect(resumed.extensionInfo()).rejects.toMatchObject({ code: "RINGCENTRAL_LOGIN_REQUIRED" });
    expect(lost).toBe(1);
  });
});

/** A real HTTP proxy in front of the simulator that answers 503 to the first `failures` requests of `path`. */
async function failingProxy(path: string, failures: number) {
  let remaining = failures;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url?.split("?")[0] === path && remaining > 0) {
      remaining--;
      res
        .writeHead(503, { "content-type": "application/json" })
        .end(JSON.stringify({ errorCode: "CMN-211", message: "Service unavailable" }));
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([name]) => !["host", "connection", "content-length"].includes(name)),
    ) as Record<string, string>;
    const upstream = await fetch(`${sim.url}${req.url}`, {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    const responseHeaders = Object.fromEntries(
      [...upstream.headers].filter(
        ([name]) => !["content-encoding", "content-length", "transfer-encoding", "connection"].includes(name),
      ),
    );
    res.writeHead(upstream.status, responseHeaders).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("5xx and network errors", () => {
  it("an idempotent call is retried with exponential backoff until it succeeds", async () => {
    const proxy = await failingProxy("/restapi/v1.0/account/~/extension/~", 2);
    try {
      const { client, waits } = clientFor(admin, {
        serverUrl: proxy.url,
        retry: { maxRetries: 3, baseDelayMs: 3, maxDelayMs: 100, secondMs: 1, defaultRetryAfterSeconds: 1 },
      });
      expect((await client.extensionInfo()).id).toBe(admin.id);
      expect(waits).toEqual([3, 6]);
    } finally {
      await proxy.close();
    }
  });

  it("gives up with RINGCENTRAL_UNAVAILABLE after the retries; a POST is not repeated", async () => {
    const proxy = await failingProxy("/restapi/v1.0/account/~/extension/~", 10);
    try {
      const { client, waits } = clientFor(admin, {
        serverUrl: proxy.url,
        retry: { maxRetries: 3, baseDelayMs: 2, maxDelayMs: 5, secondMs: 1, defaultRetryAfterSeconds: 1 },
      });
      await expect(client.extensionInfo()).rejects.toMatchObject({ code: "RINGCENTRAL_UNAVAILABLE", status: 503 });
      expect(waits).toEqual([2, 4, 5]);
    } finally {
      await proxy.close();
    }
    const postProxy = await failingProxy("/restapi/v1.0/account/~/extension/~/sms", 1);
    try {
      const { client, waits } = clientFor(admin, { serverUrl: postProxy.url });
      const sms = { from: { phoneNumber: "+19043014558" }, to: [{ phoneNumber: "+14155550100" }], text: "once" };
      await expect(client.request("POST", "/restapi/v1.0/account/~/extension/~/sms", sms)).rejects.toMatchObject({
        code: "RINGCENTRAL_UNAVAILABLE",
        status: 503,
      });
      expect(waits).toEqual([]);
    } finally {
      await postProxy.close();
    }
  });

  it("an unreachable server → RINGCENTRAL_UNAVAILABLE with no status, after backoff", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { client, waits } = clientFor(admin, {
      serverUrl: url,
      retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 10, secondMs: 1, defaultRetryAfterSeconds: 1 },
    });
    await expect(client.login()).rejects.toMatchObject({ code: "RINGCENTRAL_UNAVAILABLE", status: null });
    expect(waits).toEqual([1, 2]);
  });
});
