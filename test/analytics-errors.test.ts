// Analytics refuse bad input with a code and the field at fault (issue 16): the GraphQL field's error
// carries `extensions.code` BAD_USER_INPUT and `extensions.field` (the argument path), and
// GET /analytics.csv answers 400 naming its own query parameter — for each way a request can be wrong.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, globalId, type TestApi } from "./support/api.ts";

let api: TestApi;
let admin: Awaited<ReturnType<TestApi["createUser"]>>;

beforeAll(async () => {
  api = await startTestApi({ redis: null });
  admin = await api.createUser("ADMIN", "analytics-errors-admin");
});
afterAll(() => api?.close());

const FROM = "2026-10-25T00:00:00.000Z";
const TO = "2026-10-26T00:00:00.000Z";

const ANALYTICS = `query($filter: AnalyticsFilter!, $granularity: AnalyticsGranularity!, $sl: Int, $ab: Int) {
  analytics(filter: $filter, granularity: $granularity, serviceLevelSeconds: $sl, abandonAfterSeconds: $ab) {
    totals { voice { inbound } }
  }
}`;

interface BadInput {
  name: string;
  /** Changes to a valid request: the filter, the granularity, the thresholds. */
  filter?: Record<string, unknown>;
  granularity?: "HOUR" | "DAY" | "WEEK";
  sl?: number;
  ab?: number;
  /** The argument path GraphQL names, and the query parameter the CSV export names. */
  field: string;
  parameter: string;
}

const days = (n: number) => new Date(Date.parse(FROM) + n * 24 * 3_600_000).toISOString();

const BAD: BadInput[] = [
  {
    name: "an unknown time zone",
    filter: { timeZone: "Mars/Olympus" },
    field: "filter.timeZone",
    parameter: "timeZone",
  },
  {
    name: "a zone not a whole number of hours from UTC",
    filter: { timeZone: "Asia/Kolkata" },
    field: "filter.timeZone",
    parameter: "timeZone",
  },
  {
    name: "from not a whole hour",
    filter: { from: "2026-10-25T09:30:00.000Z" },
    field: "filter.from",
    parameter: "from",
  },
  { name: "to not a whole hour", filter: { to: "2026-10-25T23:00:01.000Z" }, field: "filter.to", parameter: "to" },
  { name: "to before from", filter: { from: TO, to: FROM }, field: "filter.to", parameter: "to" },
  { name: "to equal to from", filter: { to: FROM }, field: "filter.to", parameter: "to" },
  { name: "more than 400 days", filter: { to: days(401) }, field: "filter.to", parameter: "to" },
  {
    name: "more than 31 days by the hour",
    filter: { to: days(32) },
    granularity: "HOUR",
    field: "filter.to",
    parameter: "to",
  },
  { name: "a negative service level", sl: -1, field: "serviceLevelSeconds", parameter: "serviceLevelSeconds" },
  { name: "a service level over a day", sl: 86_401, field: "serviceLevelSeconds", parameter: "serviceLevelSeconds" },
  {
    name: "an abandon threshold over a day",
    ab: 86_401,
    field: "abandonAfterSeconds",
    parameter: "abandonAfterSeconds",
  },
  {
    name: "a malformed inbox id",
    filter: { inboxes: ["not-an-id"] },
    field: "filter.inboxes.0",
    parameter: "inboxes.0",
  },
  {
    name: "a channel id given as an inbox",
    filter: { inboxes: [globalId("Channel", crypto.randomUUID())] },
    field: "filter.inboxes.0",
    parameter: "inboxes.0",
  },
];

describe("analytics refuse bad input, naming the field", () => {
  it.each(BAD)("GraphQL: $name → BAD_USER_INPUT, field $field", async (bad) => {
    const result = await api.request<any, any>(
      ANALYTICS,
      {
        filter: { from: FROM, to: TO, ...bad.filter },
        granularity: bad.granularity ?? "DAY",
        sl: bad.sl,
        ab: bad.ab,
      },
      admin.token,
    );
    expect(result.data).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]).toMatchObject({
      path: ["analytics"],
      extensions: { code: "BAD_USER_INPUT", field: bad.field },
    });
  });

  it.each(BAD)("GET /analytics.csv: $name → 400 naming $parameter", async (bad) => {
    const { from, to, timeZone, inboxes } = { from: FROM, to: TO, ...bad.filter } as Record<string, any>;
    const params = new URLSearchParams({ from, to, granularity: bad.granularity ?? "DAY" });
    if (timeZone) params.set("timeZone", timeZone);
    if (inboxes) params.set("inboxes", inboxes.join(","));
    if (bad.sl !== undefined) params.set("serviceLevelSeconds", String(bad.sl));
    if (bad.ab !== undefined) params.set("abandonAfterSeconds", String(bad.ab));
    const response = await fetch(`${api.url}/analytics.csv?${params}`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(response.status).toBe(400);
    expect((await response.json()).errors[0].extensions).toEqual({ code: "BAD_USER_INPUT", field: bad.parameter });
  });

  it("a valid request has no errors (the cases above differ from it only in what they name)", async () => {
    const result = await api.request<any, any>(
      ANALYTICS,
      { filter: { from: FROM, to: TO, timeZone: "Europe/Berlin" }, granularity: "DAY", sl: 0, ab: 86_400 },
      admin.token,
    );
    expect(result.errors).toBeUndefined();
    const csv = await fetch(`${api.url}/analytics.csv?from=${FROM}&to=${TO}&timeZone=Europe/Berlin`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(csv.status).toBe(200);
  });
});
