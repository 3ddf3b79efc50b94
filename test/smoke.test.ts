import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./support/api.ts";
import { ViewerDocument } from "./generated/graphql.ts";

describe("API over HTTP against PostgreSQL and Redis", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it("answers the viewer query for a valid token", async () => {
    const admin = await api.createUser("ADMIN", "root");
    const result = await api.request(ViewerDocument, {}, admin.token);
    expect(result.errors).toBeUndefined();
    expect(result.data?.viewer).toMatchObject({ id: admin.globalId, email: "root@example.com", role: "ADMIN" });
  });
});
