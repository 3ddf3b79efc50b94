import { describe, expect, it } from "vitest";
import { expectMatchesOpenApi, findSpecPath, openApiErrors, throttlingGroup } from "./openapi.ts";

describe("OpenAPI helper", () => {
  it("finds the spec path for a concrete path, preferring literal segments", () => {
    expect(findSpecPath("GET", "/restapi/v1.0/account/~/extension/101/phone-number")).toBe(
      "/restapi/v1.0/account/{accountId}/extension/{extensionId}/phone-number",
    );
    expect(throttlingGroup("GET", "/restapi/v1.0/account/~/phone-number")).toBe("Heavy");
  });

  it("accepts a matching subscription and reports a wrong one", () => {
    const ok = {
      id: "a",
      uri: "http://x/restapi/v1.0/subscription/a",
      eventFilters: ["/restapi/v1.0/account/1/telephony/sessions"],
      expirationTime: "2030-01-01T00:00:00.000Z",
      expiresIn: 100,
      status: "Active",
      creationTime: "2020-01-01T00:00:00.000Z",
      deliveryMode: { transportType: "WebHook", address: "http://x", encryption: false },
    };
    expectMatchesOpenApi("POST", "/restapi/v1.0/subscription", 200, ok, { noUnknownProperties: true });
    expect(openApiErrors("POST", "/restapi/v1.0/subscription", 200, { ...ok, status: "Nope" })).not.toHaveLength(0);
    expect(
      openApiErrors("POST", "/restapi/v1.0/subscription", 200, { ...ok, extra: 1 }, { noUnknownProperties: true }),
    ).not.toHaveLength(0);
    expect(() => expectMatchesOpenApi("POST", "/restapi/v1.0/subscription", 200, { ...ok, expiresIn: "x" })).toThrow(
      /expiresIn/,
    );
  });
});
