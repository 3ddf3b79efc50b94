// SMS test set-up: the API on real PostgreSQL + Redis, connected to the in-process RingCentral
// simulator the way an admin connects RingCentral, plus helpers for the simulator's control API.
import { SDK } from "@ringcentral/sdk";
import type { InboundMessageInput } from "../../src/domain/sms/inbound.ts";
import { inboundInput } from "../../src/integrations/ringcentral/messaging.ts";
import { startSimulator, type Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { startTestApi, type TestApi } from "./api.ts";

/** The default simulator account's admin extension and its SMS/MMS-capable direct number. */
export const SIM_SMS_NUMBER = "+19043014558";

export async function startSmsSimulator(): Promise<{ sim: Simulator; sdk: SDK }> {
  const sim = await startSimulator({
    port: 0,
    rateLimits: { Auth: { limit: 1000 }, Medium: { limit: 1000 }, Light: { limit: 1000 } },
  });
  const { clientId, clientSecret, jwt } = sim.credentials();
  const sdk = new SDK({ server: sim.url, clientId, clientSecret, cachePrefix: `sms-test-${crypto.randomUUID()}-` });
  await sdk.platform().login({ jwt });
  return { sim, sdk };
}

export async function simControl<T = any>(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : null) as T };
}

/** What RingCentral (the simulator) received from the app. */
export async function sentToRingCentral(sim: Simulator): Promise<any[]> {
  return (await simControl(sim, "GET", "/__sim/sent-messages")).json.records;
}

export type SmsTestApi = TestApi;

/**
 * The API as `switchboard serve` wires it (no worker: these tests apply RingCentral's reports
 * themselves), connected to the simulator's account through verifyRingCentralCredentials when
 * `sim` is given — so SMS go out through the saved connection, like in production.
 */
export async function startSmsTestApi(options: { sim?: Simulator } = {}): Promise<SmsTestApi> {
  const api = await startTestApi({ env: { ENCRYPTION_KEY: "b".repeat(64) } });
  if (options.sim) {
    const connector = await api.createUser("ADMIN", "connector");
    const { clientId, clientSecret, jwt } = options.sim.credentials();
    const result = await api.request<any, any>(
      `mutation($server: String!, $id: String!, $secret: String!, $jwt: String!) {
        verifyRingCentralCredentials(serverUrl: $server, clientId: $id, clientSecret: $secret, jwt: $jwt) { ` +
        `__typename } }`,
      { server: options.sim.url, id: clientId, secret: clientSecret, jwt },
      connector.token,
    );
    if (result.data?.verifyRingCentralCredentials.__typename !== "VerifyRingCentralCredentialsPayload") {
      throw new Error(`could not connect the simulator: ${JSON.stringify(result)}`);
    }
  }
  return api;
}

/**
 * A customer texts one of our numbers: the simulator stores the message and notifies; this returns
 * the domain input the worker builds from RingCentral's message (media attachments only).
 */
export async function receiveSmsFromSimulator(
  sim: Simulator,
  sms: {
    from: string;
    to: string;
    text?: string;
    fromName?: string;
    attachments?: { contentType: string; fileName: string; base64: string }[];
  },
): Promise<InboundMessageInput> {
  const { status, json } = await simControl(sim, "POST", "/__sim/sms/inbound", sms);
  if (status !== 201) throw new Error(`the simulator refused the inbound SMS: ${JSON.stringify(json)}`);
  return inboundInput(json)!;
}
