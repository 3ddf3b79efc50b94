// A request without a token and one with a wrong token are both UNAUTHENTICATED, but they are told
// apart (issue 12, point 10): "send a token" and "this token is not valid" call for different fixes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, subscribe, type TestApi } from "./support/api.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

const VIEWER = "{ viewer { email } }";
const MISSING = {
  message: "Authentication required: send the header Authorization: Bearer <token>",
  code: "UNAUTHENTICATED",
};
const WRONG = { message: "This API token is not valid (unknown or revoked)", code: "UNAUTHENTICATED" };
const errorsOf = (result: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) =>
  result.errors?.map((error) => ({ message: error.message, code: error.extensions?.code }));

describe("unauthenticated requests", () => {
  it("tells a missing token from a wrong one over HTTP", async () => {
    expect(errorsOf(await api.request(VIEWER))).toEqual([MISSING]);
    expect(errorsOf(await api.request(VIEWER, undefined, "sb_not-a-token"))).toEqual([WRONG]);
  });

  it("tells a missing token from a wrong one on a scoped field and on a subscription", async () => {
    expect(errorsOf(await api.request("{ inboxes { id } }"))).toEqual([MISSING]);
    expect(errorsOf(await api.request("{ inboxes { id } }", undefined, "sb_not-a-token"))).toEqual([WRONG]);
    const events = subscribe(api.wsClient("sb_not-a-token"), "subscription { incomingCall { callerNumber } }");
    await events.finished;
    expect(errorsOf({ errors: (events.error as any) ?? events.received[0]?.errors })).toEqual([WRONG]);
  });
});
