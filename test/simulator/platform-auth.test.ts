import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import {
  api,
  basicAuth,
  control,
  isApiErrorBody,
  loggedInSdk,
  request,
  sdkFor,
  startTestSimulator,
  tokenRequest,
} from "./platform-harness.ts";

const JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.close();
});

describe("OAuth with the real SDK", () => {
  it("logs in with the JWT credential and calls the API", async () => {
    const sdk = await loggedInSdk(sim);
    const data = await sdk.platform().auth().data();
    expect(data.token_type).toBe("bearer");
    expect(Number(data.expires_in)).toBe(3600);
    expect(Number(data.refresh_token_expires_in)).toBe(604800);
    expect(data.owner_id).toBe("809646016");
    const extension = await (await sdk.platform().get("/restapi/v1.0/account/~/extension/~")).json();
    expect(extension.id).toBe(809646016);
  });

  it("refreshes: new pair, the old refresh token is single-use and the old access token dies", async () => {
    const sdk = await loggedInSdk(sim);
    const before = await sdk.platform().auth().data();
    await sdk.platform().refresh();
    const after = await sdk.platform().auth().data();
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).not.toBe(before.refresh_token);

    const reuse = await tokenRequest(sim, { grant_type: "refresh_token", refresh_token: before.refresh_token! });
    expect(reuse.status).toBe(400);
    expect(reuse.json).toMatchObject({ error: "invalid_grant", errors: [{ errorCode: "OAU-211" }] });
    expect(typeof reuse.json.error_description).toBe("string");

    const old = await api(sim, before.access_token!, "GET", "/restapi/v1.0/account/~");
    expect(old.status).toBe(401);
    expect(isApiErrorBody(old.json)).toBe(true);
    expect((await api(sim, after.access_token!, "GET", "/restapi/v1.0/account/~")).status).toBe(200);
  });

  it("re-logs in with the JWT after a refresh fails because the refresh token expired server-side", async () => {
    const sdk = await loggedInSdk(sim);
    const refreshError = new Promise<Error>((resolve) =>
      sdk.platform().on(sdk.platform().events.refreshError, resolve),
    );
    const expired = await control(sim, "POST", "/__sim/faults/tokens", { action: "expire", kind: "refresh" });
    expect(expired.status).toBe(200);

    await expect(sdk.platform().refresh()).rejects.toThrow();
    const error = (await refreshError) as Error & { response?: Response };
    expect(error.response?.status).toBe(400);

    await sdk.platform().login({ jwt: sim.credentials().jwt });
    const response = await sdk.platform().get("/restapi/v1.0/account/~");
    expect(response.status).toBe(200);
  });

  it("re-logs in after the whole session is revoked (refresh answers invalid_grant)", async () => {
    const sdk = await loggedInSdk(sim);
    await control(sim, "POST", "/__sim/faults/tokens", { action: "revoke" });
    await expect(sdk.platform().refresh()).rejects.toThrow(/revoked/i);
    await sdk.platform().login({ jwt: sim.credentials().jwt });
    expect((await sdk.platform().get("/restapi/v1.0/account/~/extension/~")).status).toBe(200);
  });

  it("recovers from an expired access token through the SDK's own 401 retry (refresh)", async () => {
    const sdk = await loggedInSdk(sim);
    const refreshed = new Promise<void>((resolve) =>
      sdk.platform().on(sdk.platform().events.refreshSuccess, () => resolve()),
    );
    await control(sim, "POST", "/__sim/faults/tokens", { action: "expire", kind: "access" });
    const response = await sdk.platform().get("/restapi/v1.0/account/~");
    expect(response.status).toBe(200);
    await refreshed;
  });

  it("logout revokes the session", async () => {
    const sdk = await loggedInSdk(sim);
    const token = (await sdk.platform().auth().data()).access_token!;
    await sdk.platform().logout();
    expect((await api(sim, token, "GET", "/restapi/v1.0/account/~")).status).toBe(401);
  });

  it("honours access_token_ttl and refresh_token_ttl per request, capped", async () => {
    const short = await tokenRequest(sim, {
      grant_type: JWT_GRANT,
      assertion: sim.credentials().jwt,
      access_token_ttl: "900",
      refresh_token_ttl: "1200",
    });
    expect(short.json).toMatchObject({ expires_in: 900, refresh_token_expires_in: 1200 });
    const refreshed = await tokenRequest(sim, { grant_type: "refresh_token", refresh_token: short.json.refresh_token });
    expect(refreshed.json).toMatchObject({ expires_in: 900, refresh_token_expires_in: 1200 });
    const capped = await tokenRequest(sim, {
      grant_type: JWT_GRANT,
      assertion: sim.credentials().jwt,
      access_token_ttl: "99999",
    });
    expect(capped.json.expires_in).toBe(3600);
  });

  it("issues WebSocket tokens to authenticated callers only", async () => {
    const sdk = await loggedInSdk(sim);
    const wsToken = await (await sdk.platform().post("/restapi/oauth/wstoken")).json();
    expect(wsToken.uri).toBe(`${sim.url.replace("http", "ws")}/ws`);
    expect(typeof wsToken.ws_access_token).toBe("string");
    expect(wsToken.expires_in).toBe(600);
    const anonymous = await request(`${sim.url}/restapi/oauth/wstoken`, { method: "POST" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.errorCode).toBe("AGW-401");
  });
});

describe("OAuth errors", () => {
  it("rejects a wrong client secret and a missing client with invalid_client", async () => {
    const wrong = await tokenRequest(
      sim,
      { grant_type: JWT_GRANT, assertion: sim.credentials().jwt },
      basicAuth(sim, "nope"),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: "invalid_client", errors: [{ errorCode: "OAU-153" }] });
    const missing = await tokenRequest(sim, { grant_type: JWT_GRANT, assertion: sim.credentials().jwt }, "");
    expect(missing.status).toBe(401);
    expect(missing.json.error).toBe("invalid_client");
  });

  it("rejects a bad JWT with invalid_grant OAU-140, and the SDK surfaces it", async () => {
    const sdk = sdkFor(sim);
    await expect(sdk.platform().login({ jwt: "not.a.jwt" })).rejects.toThrow(/Invalid resource owner credentials/);
    const raw = await tokenRequest(sim, { grant_type: JWT_GRANT, assertion: "not.a.jwt" });
    expect(raw.status).toBe(400);
    expect(raw.json).toMatchObject({ error: "invalid_grant", errors: [{ errorCode: "OAU-140" }] });
  });

  it("rejects unknown and missing grant types, missing parameters and malformed bodies", async () => {
    const unknownGrant = await tokenRequest(sim, { grant_type: "password", username: "a", password: "b" });
    expect(unknownGrant.status).toBe(400);
    expect(unknownGrant.json.error).toBe("unsupported_grant_type");
    const noGrant = await tokenRequest(sim, {});
    expect(noGrant.json.error).toBe("invalid_request");
    const noAssertion = await tokenRequest(sim, { grant_type: JWT_GRANT });
    expect(noAssertion.json.error).toBe("invalid_request");
    const noRefresh = await tokenRequest(sim, { grant_type: "refresh_token" });
    expect(noRefresh.json.error).toBe("invalid_request");
    const badRefresh = await tokenRequest(sim, { grant_type: "refresh_token", refresh_token: "garbage" });
    expect(badRefresh.json.error).toBe("invalid_grant");
    const get = await request(`${sim.url}/restapi/oauth/token`);
    expect(get.status).toBe(405);
    expect(isApiErrorBody(get.json)).toBe(true);
  });

  it("answers 401 in RingCentral's shape without a token or with a bad one", async () => {
    const none = await request(`${sim.url}/restapi/v1.0/account/~`);
    expect(none.status).toBe(401);
    expect(none.json.errorCode).toBe("AGW-401");
    expect(isApiErrorBody(none.json)).toBe(true);
    const garbage = await api(sim, "garbage", "GET", "/restapi/v1.0/account/~");
    expect(garbage.status).toBe(401);
    expect(garbage.json.errorCode).toBe("OAU-129");
    expect(isApiErrorBody(garbage.json)).toBe(true);
  });
});
