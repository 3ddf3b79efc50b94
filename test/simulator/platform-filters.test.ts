// Event-filter matching, checked against the real captures: one account-level subscription
// received every event of the three captured calls, whether the event path was account-level
// (PSTN parties) or extension-level (extension parties).

import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expandFilter, filterMatches } from "../../src/integrations/ringcentral/simulator/index.ts";

const CAPTURES = fileURLToPath(new URL("../../../shared/ringcentral/captures/", import.meta.url));
const owner = { accountId: "809646016", extensionId: "809646016" };

function capturedEvents(): Array<{ event: string; body: any }> {
  return readdirSync(CAPTURES)
    .filter((f) => f.endsWith(".jsonl"))
    .flatMap((f) =>
      readFileSync(CAPTURES + f, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    );
}

describe("event filter matching", () => {
  it("an account-level telephony filter matches every captured event, account- and extension-level", () => {
    const events = capturedEvents();
    expect(events.length).toBeGreaterThan(20);
    expect(events.some((e) => e.event.includes("/extension/"))).toBe(true);
    expect(events.some((e) => !e.event.includes("/extension/"))).toBe(true);
    for (const { event, body } of events)
      expect(filterMatches("/restapi/v1.0/account/~/telephony/sessions", event, body, owner)).toBe(true);
  });

  it("an extension-level telephony filter matches only that extension's events", () => {
    const events = capturedEvents();
    const mine = events.filter((e) =>
      filterMatches("/restapi/v1.0/account/~/extension/~/telephony/sessions", e.event, e.body, owner),
    );
    expect(mine.length).toBeGreaterThan(0);
    expect(
      mine.every((e) => e.event === "/restapi/v1.0/account/809646016/extension/809646016/telephony/sessions"),
    ).toBe(true);
    expect(
      filterMatches(
        "/restapi/v1.0/account/~/extension/62242421016/telephony/sessions",
        "/restapi/v1.0/account/809646016/telephony/sessions",
        {},
        owner,
      ),
    ).toBe(false);
  });

  it("selects telephony events by the filter's query options against the parties", () => {
    const inbound = {
      parties: [
        {
          direction: "Inbound",
          missedCall: true,
          status: { code: "Disconnected" },
          from: { phoneNumber: "+14083388064" },
          to: {},
        },
      ],
    };
    const filter = (q: string) =>
      filterMatches(
        `/restapi/v1.0/account/~/telephony/sessions?${q}`,
        "/restapi/v1.0/account/809646016/telephony/sessions",
        inbound,
        owner,
      );
    expect(filter("direction=Inbound")).toBe(true);
    expect(filter("direction=Outbound")).toBe(false);
    expect(filter("missedCall=true")).toBe(true);
    expect(filter("statusCode=Answered")).toBe(false);
    expect(filter("statusCode=Disconnected")).toBe(true);
    expect(filter("phoneNumber=%2B14083388064")).toBe(true);
    expect(filter("withRecordings=true")).toBe(true);
  });

  it("matches message-store, instant SMS and presence filters like RingCentral's samples", () => {
    const instant = "/restapi/v1.0/account/~/extension/809646016/message-store/instant?type=SMS";
    expect(
      filterMatches("/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS", instant, {}, owner),
    ).toBe(true);
    expect(
      filterMatches("/restapi/v1.0/account/~/extension/~/message-store/instant?type=Pager", instant, {}, owner),
    ).toBe(false);
    expect(filterMatches("/restapi/v1.0/account/~/extension/~/message-store", instant, {}, owner)).toBe(false);
    const changes = { changes: [{ type: "SMS", newCount: 1 }] };
    expect(
      filterMatches(
        "/restapi/v1.0/account/~/extension/~/message-store?type=SMS",
        "/restapi/v1.0/account/809646016/extension/809646016/message-store",
        changes,
        owner,
      ),
    ).toBe(true);
    expect(
      filterMatches(
        "/restapi/v1.0/account/~/extension/~/message-store?type=VoiceMail",
        "/restapi/v1.0/account/809646016/extension/809646016/message-store",
        changes,
        owner,
      ),
    ).toBe(false);
    const detailed = "/restapi/v1.0/account/~/extension/809646016/presence?detailedTelephonyState=true";
    expect(
      filterMatches("/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true", detailed, {}, owner),
    ).toBe(true);
    expect(filterMatches("/restapi/v1.0/account/~/presence", detailed, {}, owner)).toBe(true);
    expect(
      filterMatches(
        "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true",
        "/restapi/v1.0/account/809646016/extension/809646016/presence/dnd",
        {},
        owner,
      ),
    ).toBe(false);
  });

  it("expands ~ to the subscriber's ids and keeps the query", () => {
    expect(
      expandFilter("/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true", {
        accountId: "1",
        extensionId: "2",
      }),
    ).toBe("/restapi/v1.0/account/1/extension/2/presence?detailedTelephonyState=true");
  });
});
