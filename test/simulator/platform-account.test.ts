import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { expectMatchesOpenApi } from "./openapi.ts";
import { accessToken, api, control, isApiErrorBody, request, startTestSimulator } from "./platform-harness.ts";

let sim: Simulator;
let adminToken: string;
let agentToken: string;
let agentId: string;

beforeAll(async () => {
  sim = await startTestSimulator();
  adminToken = await accessToken(sim);
  const account = (await control(sim, "GET", "/__sim/account")).json;
  const agent = account.extensions.find((e: any) => e.name === "Alice Agent");
  agentId = agent.id;
  agentToken = await accessToken(sim, agent.jwt);
});
afterAll(async () => {
  await sim.close();
});

/** GET a path and check the response against the OpenAPI description. */
async function getValid(path: string, token = adminToken) {
  const response = await api(sim, token, "GET", path);
  expect(response.status).toBe(200);
  expectMatchesOpenApi("GET", path, 200, response.json, { noUnknownProperties: true });
  return response.json;
}

describe("the seeded account", () => {
  it("is described by GET /__sim/account with credentials, extensions and numbers", async () => {
    const account = (await control(sim, "GET", "/__sim/account")).json;
    expect(account).toMatchObject({ accountId: "809646016", server: sim.url, mainNumber: "+18003151571" });
    expect(account.clientId).toBeTruthy();
    expect(account.clientSecret).toBeTruthy();
    expect(account.jwt).toBeTruthy();
    const users = account.extensions.filter((e: any) => e.type === "User");
    expect(users.filter((e: any) => e.admin)).toHaveLength(1);
    expect(users.filter((e: any) => !e.admin).length).toBeGreaterThanOrEqual(3);
    for (const user of users) expect(user.email).toMatch(/@/);
    expect(account.extensions.some((e: any) => e.type === "IvrMenu")).toBe(true);
    const queue = account.extensions.find((e: any) => e.type === "Department");
    expect(queue.members.length).toBeGreaterThanOrEqual(2);
    const main = account.phoneNumbers.find((n: any) => n.usageType === "MainCompanyNumber");
    expect(account.extensions.find((e: any) => e.id === main.extensionId).type).toBe("IvrMenu");
    expect(account.phoneNumbers.some((n: any) => n.extensionId === queue.id)).toBe(true);
    for (const agent of users) {
      expect(
        account.phoneNumbers.some(
          (n: any) => n.extensionId === agent.id && n.usageType === "DirectNumber" && n.features.includes("SmsSender"),
        ),
      ).toBe(true);
    }
  });

  it("serves the account, extension list and extension info in the published shapes", async () => {
    const account = await getValid("/restapi/v1.0/account/~");
    expect(account).toMatchObject({ id: 809646016, mainNumber: "+18003151571" });
    expect(account.uri.startsWith(sim.url)).toBe(true);

    const list = await getValid("/restapi/v1.0/account/~/extension");
    expect(list.records.length).toBe(6);
    expect(list.paging.totalElements).toBe(6);
    const users = await getValid("/restapi/v1.0/account/~/extension?type=User&status=Enabled&perPage=2&page=2");
    expect(users.records).toHaveLength(2);
    expect(users.paging).toMatchObject({ page: 2, perPage: 2, totalPages: 2, totalElements: 4 });
    expect(users.navigation.previousPage.uri).toContain("page=1");

    const me = await getValid("/restapi/v1.0/account/~/extension/~");
    expect(me).toMatchObject({
      id: 809646016,
      extensionNumber: "11101",
      type: "User",
      status: "Enabled",
      contact: { email: "admin@switchboard.test" },
    });
    const byId = await getValid(`/restapi/v1.0/account/809646016/extension/${agentId}`);
    expect(byId.name).toBe("Alice Agent");
    expect((await getValid("/restapi/v1.0/account/~/extension/~", agentToken)).id).toBe(Number(agentId));
  });

  it("lists phone numbers at account and extension level, with SMS features", async () => {
    const all = await getValid("/restapi/v1.0/account/~/phone-number");
    expect(all.records.length).toBe(6);
    const main = await getValid("/restapi/v1.0/account/~/phone-number?usageType=MainCompanyNumber");
    expect(main.records.map((r: any) => r.phoneNumber)).toEqual(["+18003151571"]);
    expect((await getValid(`/restapi/v1.0/account/~/phone-number/${main.records[0].id}`)).phoneNumber).toBe(
      "+18003151571",
    );

    const mine = await getValid("/restapi/v1.0/account/~/extension/~/phone-number", agentToken);
    expect(mine.records).toHaveLength(1);
    expect(mine.records[0]).toMatchObject({
      phoneNumber: "+16505550111",
      usageType: "DirectNumber",
      extension: { id: Number(agentId) },
    });
    expect(mine.records[0].features).toEqual(expect.arrayContaining(["SmsSender", "MmsSender", "CallerId"]));
  });

  it("reports admin and non-admin authz profiles", async () => {
    const admin = await getValid("/restapi/v1.0/account/~/extension/~/authz-profile");
    const agent = await getValid("/restapi/v1.0/account/~/extension/~/authz-profile", agentToken);
    const ids = (profile: any) => profile.permissions.map((p: any) => p.permission.id);
    expect(ids(admin)).toContain("AccountAdministration");
    expect(ids(agent)).not.toContain("AccountAdministration");
    expect(ids(agent)).toContain("ReadMessages");
  });

  it("adds extensions and numbers through the control API; new users can log in with their JWT", async () => {
    const created = await control(sim, "POST", "/__sim/extensions", {
      name: "Carol Agent",
      email: "carol@switchboard.test",
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: "Carol Agent",
      type: "User",
      email: "carol@switchboard.test",
      admin: false,
    });
    const number = await control(sim, "POST", "/__sim/phone-numbers", {
      phoneNumber: "+16505550177",
      extensionId: created.json.id,
    });
    expect(number.status).toBe(201);
    const carolToken = await accessToken(sim, created.json.jwt);
    const info = await getValid("/restapi/v1.0/account/~/extension/~", carolToken);
    expect(info.contact.businessPhone).toBe("+16505550177");
    const numbers = await getValid("/restapi/v1.0/account/~/extension/~/phone-number", carolToken);
    expect(numbers.records[0].features).toContain("SmsSender");

    const queue = await control(sim, "POST", "/__sim/extensions", {
      name: "Sales",
      type: "Department",
      members: [created.json.id],
    });
    expect(queue.json).toMatchObject({ type: "Department", members: [created.json.id] });
    expect(queue.json.jwt).toBeUndefined();
  });

  it("rejects bad control input in RingCentral's error shape", async () => {
    for (const [path, body] of [
      ["/__sim/extensions", {}],
      ["/__sim/extensions", { name: "X", type: "Robot" }],
      ["/__sim/extensions", { name: "Dup", extensionNumber: "11101" }],
      ["/__sim/extensions", { name: "Q", type: "Department", members: ["404"] }],
      ["/__sim/phone-numbers", { phoneNumber: "12345" }],
      ["/__sim/phone-numbers", { phoneNumber: "+18003151571" }],
      ["/__sim/extensions", [1, 2]],
    ] as const) {
      const response = await control(sim, "POST", path, body);
      expect([400, 404]).toContain(response.status);
      expect(isApiErrorBody(response.json)).toBe(true);
    }
    const malformed = await request(`${sim.url}/__sim/extensions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{nope",
    });
    expect(malformed.status).toBe(400);
    expect(isApiErrorBody(malformed.json)).toBe(true);
  });
});

describe("bad REST input", () => {
  it("answers unknown ids, foreign accounts, unknown paths and wrong methods with RingCentral's errors", async () => {
    const cases: Array<[string, string, number, string]> = [
      ["GET", "/restapi/v1.0/account/~/extension/424242", 404, "CMN-102"],
      ["GET", "/restapi/v1.0/account/123/extension/~", 404, "CMN-102"],
      ["GET", "/restapi/v1.0/account/~/phone-number/1", 404, "CMN-102"],
      ["GET", "/restapi/v1.0/account/~/no-such-thing", 404, "AGW-404"],
      ["GET", "/restapi/v2/whatever", 404, "AGW-404"],
      ["DELETE", "/restapi/v1.0/account/~", 405, "CMN-405"],
    ];
    for (const [method, path, status, errorCode] of cases) {
      const response = await api(sim, adminToken, method, path);
      expect({ path, status: response.status, errorCode: response.json.errorCode }).toEqual({
        path,
        status,
        errorCode,
      });
      expect(isApiErrorBody(response.json)).toBe(true);
    }
    const outside = await request(`${sim.url}/favicon.ico`);
    expect(outside.status).toBe(404);
  });

  it("answers malformed JSON bodies with 400 CMN-101", async () => {
    const response = await api(sim, adminToken, "PUT", "/restapi/v1.0/account/~/extension/~/presence", "{not json");
    expect(response.status).toBe(400);
    expect(response.json.errorCode).toBe("CMN-101");
  });

  it("logs what the app sent without secrets", async () => {
    await api(sim, adminToken, "GET", "/restapi/v1.0/account/~/extension/~?probe=1");
    const log = (await control(sim, "GET", "/__sim/requests?path=/extension/~&method=GET")).json.records;
    const entry = log.at(-1);
    expect(entry).toMatchObject({
      method: "GET",
      path: "/restapi/v1.0/account/~/extension/~",
      query: { probe: "1" },
      status: 200,
      via: "http",
    });
    expect(entry.headers.authorization).toBe("[redacted]");
    const tokenCalls = (await control(sim, "GET", "/__sim/requests?path=/restapi/oauth/token")).json.records;
    expect(tokenCalls.length).toBeGreaterThan(0);
    for (const call of tokenCalls) expect(JSON.stringify(call)).not.toContain(sim.credentials().jwt);
  });
});
