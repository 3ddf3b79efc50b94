// Bad input never crashes the platform: arbitrary methods, paths and bodies (authenticated or not)
// get a non-5xx answer in RingCentral's error shapes, and garbage WebSocket frames get Error frames
// while the connection keeps working. Feature modules are left out: this is about the platform.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { accessToken, api, isApiErrorBody, request, startTestSimulator } from "./platform-harness.ts";

let sim: Simulator;
let token: string;
beforeAll(async () => {
  sim = await startTestSimulator({
    modules: [],
    rateLimits: { Light: { limit: 100000 }, Medium: { limit: 100000 }, Heavy: { limit: 100000 } },
  });
  token = await accessToken(sim);
});
afterAll(async () => {
  await sim.close();
});

const segment = fc.oneof(
  fc.constantFrom(
    "restapi",
    "v1.0",
    "oauth",
    "token",
    "revoke",
    "wstoken",
    "account",
    "~",
    "809646016",
    "extension",
    "phone-number",
    "presence",
    "authz-profile",
    "subscription",
    "renew",
    "__sim",
    "faults",
    "notifications",
    "socket",
    "extensions",
    "%E0%A4%A",
    "..",
    "",
  ),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
);
const path = fc.array(segment, { minLength: 1, maxLength: 7 }).map((parts) => `/${parts.join("/")}`);
const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE");
const body = fc.oneof(
  fc.constant(undefined),
  fc.json().map((json) => ({ text: json, type: "application/json" })),
  fc.string().map((text) => ({ text, type: "application/json" })),
  fc.string().map((text) => ({ text, type: "application/x-www-form-urlencoded" })),
  fc.string().map((text) => ({ text, type: "multipart/form-data; boundary=xyz" })),
  fc.string().map((text) => ({ text, type: "text/plain" })),
);

describe("bad input", () => {
  it("never gets a 5xx, and errors come in RingCentral's shapes", async () => {
    await fc.assert(
      fc.asyncProperty(method, path, body, fc.boolean(), async (m, p, b, authenticated) => {
        const headers: Record<string, string> = {};
        if (authenticated) headers.Authorization = `Bearer ${token}`;
        if (b) headers["Content-Type"] = b.type;
        const init: RequestInit = { method: m, headers };
        if (b && m !== "GET") init.body = b.text;
        const response = await request(`${sim.url}${p.startsWith("/__sim/reset") ? "/__sim/nothing" : p}`, init);
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          const oauthShape = typeof response.json?.error === "string" && Array.isArray(response.json?.errors);
          expect(isApiErrorBody(response.json) || oauthShape).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    expect((await api(sim, token, "GET", "/restapi/v1.0/account/~")).status).toBe(200);
  });

  it("answers garbage WebSocket frames with Error frames and keeps the connection usable", async () => {
    const { uri, ws_access_token } = (await api(sim, token, "POST", "/restapi/oauth/wstoken")).json;
    const socket = new WebSocket(`${uri}?access_token=${ws_access_token}`);
    const frames: any[] = [];
    let waiting: { test: (f: any) => boolean; resolve: () => void } | undefined;
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      frames.push(frame);
      if (waiting?.test(frame)) waiting.resolve();
    });
    const next = (test: (f: any) => boolean) =>
      frames.some(test) ? Promise.resolve() : new Promise<void>((resolve) => (waiting = { test, resolve }));
    await next(([meta]) => meta.type === "ConnectionDetails");

    const garbage = [
      "",
      "[]",
      "{}",
      "[1]",
      "null",
      '[{"type":"ClientRequest"}]',
      '[{"type":"ClientRequest","method":"POST","path":"/restapi/v1.0/subscription"},"x"]',
      '[{"type":"ClientRequest","messageId":"a","method":"GET","path":"/nope"}]',
      '[{"type":"Unknown"}]',
      "\u0000\u0001",
    ];
    for (const text of garbage) socket.send(text);
    socket.send(JSON.stringify([{ type: "Heartbeat", messageId: "still-alive" }]));
    await next(([meta]) => meta.type === "Heartbeat" && meta.messageId === "still-alive");
    expect(
      frames.filter(([meta]) => meta.type === "Error" || (meta.type === "ClientRequest" && meta.status >= 400)).length,
    ).toBeGreaterThanOrEqual(garbage.length - 1);
    expect(frames.every(([meta]) => meta.status === undefined || meta.status < 500)).toBe(true);
    socket.close();
  });
});
