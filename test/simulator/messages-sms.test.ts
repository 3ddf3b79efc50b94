// Sending SMS/MMS through the real @ringcentral/sdk (JSON and multipart/form-data), RingCentral's
// limits and error codes, and the outbound status progression seen through a real subscription.

import type { SDK } from "@ringcentral/sdk";
import FormData from "form-data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/integrations/ringcentral/simulator/index.ts";
import { expectMatchesOpenApi } from "./openapi.ts";
import { startTestSimulator } from "./platform-harness.ts";
import {
  control,
  loggedInSdk,
  seeded,
  subscribe,
  type Notification,
  type NotificationInbox,
} from "./feature-support.ts";

let sim: Simulator;
let sdk: SDK;
let inbox: NotificationInbox;

const SMS = "/restapi/v1.0/account/~/extension/~/sms";
const SMS_TEMPLATE = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/sms";
const MESSAGE_STORE = "/restapi/v1.0/account/~/extension/~/message-store";

beforeAll(async () => {
  sim = await startTestSimulator();
  sdk = await loggedInSdk(sim);
  inbox = await subscribe(sdk, [MESSAGE_STORE]);
});

afterAll(async () => {
  await inbox.revoke();
  await sim.close();
});

async function send(body: unknown): Promise<{ status: number; json: any }> {
  try {
    const response = await sdk.platform().post(SMS, body);
    return { status: response.status, json: await response.json() };
  } catch (error: any) {
    if (!error.response) throw error;
    return { status: error.response.status, json: await error.response.json() };
  }
}

/** The SDK sends through node-fetch in Node, which streams the `form-data` package's forms. */
function mms(payload: Record<string, unknown>, files: { name: string; type: string; bytes: Uint8Array }[]): FormData {
  const form = new FormData();
  form.append("json", Buffer.from(JSON.stringify(payload)), {
    filename: "request.json",
    contentType: "application/json",
  });
  for (const file of files)
    form.append("attachment", Buffer.from(file.bytes), { filename: file.name, contentType: file.type });
  return form;
}

function storeChangeFor(messageId: number, kind: "newCount" | "updatedCount") {
  return (n: Notification): boolean =>
    n.event.endsWith(`/extension/${seeded.admin}/message-store`) &&
    n.body.changes.some((c: any) => c[kind] === 1 && (kind === "updatedCount" || c.newMessageIds?.includes(messageId)));
}

async function message(id: number): Promise<any> {
  return (await sdk.platform().get(`${MESSAGE_STORE}/${id}`)).json();
}

/** Waits until the message reaches `status`, re-reading it after each message-store update notification. */
async function settled(id: number, status: string): Promise<any> {
  for (;;) {
    const before = inbox.received.length;
    const current = await message(id);
    if (current.messageStatus === status) return current;
    await inbox.next(storeChangeFor(id, "updatedCount"), before);
  }
}

describe("sending", () => {
  it("JSON SMS: Queued in the response, then Sent and Delivered, each a message-store notification", async () => {
    const sent = await send({
      from: { phoneNumber: seeded.adminNumber },
      to: [{ phoneNumber: "+14155550100" }],
      text: "Hello from the inbox",
    });
    expect(sent.status).toBe(200);
    expectMatchesOpenApi("POST", SMS_TEMPLATE, 200, sent.json);
    expect(sent.json).toMatchObject({
      type: "SMS",
      direction: "Outbound",
      messageStatus: "Queued",
      subject: "Hello from the inbox",
      from: { phoneNumber: seeded.adminNumber },
      to: [{ phoneNumber: "+14155550100" }],
    });
    expect(sent.json.uri).toBe(
      `${sim.url}/restapi/v1.0/account/${seeded.admin}/extension/${seeded.admin}/message-store/${sent.json.id}`,
    );

    const created = await inbox.next(storeChangeFor(sent.json.id, "newCount"));
    expect(created.body.changes).toEqual([
      { type: "SMS", newCount: 1, updatedCount: 0, newMessageIds: [sent.json.id] },
    ]);
    const delivered = await settled(sent.json.id, "Delivered");
    expect(delivered.smsDeliveryTime).toEqual(expect.any(String));
    expect(delivered.to[0].messageStatus).toBe("Delivered");
    // instant is inbound only
    expect(inbox.received.filter((n) => n.event.includes("/message-store/instant"))).toEqual([]);

    const record = (await control(sim, "GET", "/__sim/sent-messages?to=%2B14155550100")).json.records.at(-1);
    expect(record).toMatchObject({
      id: String(sent.json.id),
      from: seeded.adminNumber,
      to: ["+14155550100"],
      text: "Hello from the inbox",
      attachments: [],
    });
  });

  it("multipart MMS with attachments: stored, listed, downloadable through their absolute uri", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
    const vcard = new TextEncoder().encode("BEGIN:VCARD\nFN:Jane\nEND:VCARD\n");
    const form = mms(
      { from: { phoneNumber: seeded.adminNumber }, to: [{ phoneNumber: "+14155550101" }], text: "Picture" },
      [
        { name: "photo.png", type: "image/png", bytes: png },
        { name: "jane.vcf", type: "text/vcard", bytes: vcard },
      ],
    );
    const sent = await send(form);
    expect(sent.status).toBe(200);
    expectMatchesOpenApi("POST", SMS_TEMPLATE, 200, sent.json);
    const media = sent.json.attachments.filter((a: any) => a.type === "MmsAttachment");
    expect(media.map((a: any) => [a.fileName, a.contentType, a.size])).toEqual([
      ["photo.png", "image/png", png.length],
      ["jane.vcf", "text/vcard", vcard.length],
    ]);
    const download = await sdk.platform().get(media[0].uri);
    expect(download.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(png);
    const record = (await control(sim, "GET", "/__sim/sent-messages?to=%2B14155550101")).json.records.at(-1);
    expect(record.attachments.map((a: any) => a.fileName)).toEqual(["photo.png", "jane.vcf"]);
  });

  it("enforces 10 attachments and 1,500,000 bytes combined", async () => {
    const payload = {
      from: { phoneNumber: seeded.adminNumber },
      to: [{ phoneNumber: "+14155550102" }],
      text: "limits",
    };
    const file = (name: string, size: number) => ({ name, type: "image/jpeg", bytes: new Uint8Array(size) });

    const atLimit = await send(mms(payload, [file("a.jpg", 750_000), file("b.jpg", 750_000)]));
    expect(atLimit.status).toBe(200);
    const overSize = await send(mms(payload, [file("a.jpg", 750_000), file("b.jpg", 750_001)]));
    expect(overSize.status).toBe(400);
    expect(overSize.json).toMatchObject({
      errorCode: "CMN-101",
      errors: [{ errorCode: "CMN-101", parameterName: "attachments" }],
    });

    const ten = await send(
      mms(
        payload,
        Array.from({ length: 10 }, (_, i) => file(`${i}.jpg`, 10)),
      ),
    );
    expect(ten.status).toBe(200);
    const eleven = await send(
      mms(
        payload,
        Array.from({ length: 11 }, (_, i) => file(`${i}.jpg`, 10)),
      ),
    );
    expect(eleven.status).toBe(400);
    expect(eleven.json.errors[0].parameterName).toBe("attachments");
  });

  it("rejects bad senders and recipients with RingCentral's codes", async () => {
    const base = { to: [{ phoneNumber: "+14155550103" }], text: "hi" };
    const notMine = await send({ ...base, from: { phoneNumber: seeded.aliceNumber } });
    expect(notMine.status).toBe(400);
    expect(notMine.json.errorCode).toBe("MSG-245");
    expect(
      (await send({ ...base, from: { phoneNumber: seeded.adminNumber }, to: [{ phoneNumber: "11102" }] })).json
        .errorCode,
    ).toBe("MSG-246");
    expect(
      (await send({ ...base, from: { phoneNumber: seeded.adminNumber }, to: [{ phoneNumber: "+1411" }] })).json
        .errorCode,
    ).toBe("MSG-247");
    expect(
      (await send({ ...base, from: { phoneNumber: seeded.adminNumber }, text: "x".repeat(1001) })).json.errorCode,
    ).toBe("CMN-101");
    const noRecipients = await send({ from: { phoneNumber: seeded.adminNumber }, to: [], text: "hi" });
    expect(noRecipients.json).toMatchObject({ errorCode: "CMN-101", errors: [{ parameterName: "to" }] });

    await control(sim, "POST", "/__sim/phone-numbers", {
      phoneNumber: "+19043014599",
      extensionId: seeded.admin,
      features: ["CallerId"],
    });
    const voiceOnly = await send({ ...base, from: { phoneNumber: "+19043014599" } });
    expect(voiceOnly.status).toBe(403);
    expect(voiceOnly.json.errorCode).toBe("MSG-367");
  });
});

describe("delivery outcomes", () => {
  it("a failing recipient ends DeliveryFailed with a delivery error code", async () => {
    await control(sim, "PUT", "/__sim/sms/settings", { failingNumbers: ["+14155550666"] });
    const sent = await send({
      from: { phoneNumber: seeded.adminNumber },
      to: [{ phoneNumber: "+14155550666" }],
      text: "will fail",
    });
    const failed = await settled(sent.json.id, "DeliveryFailed");
    expect(failed.deliveryErrorCode).toBe("SMS-CAR-411");
    await control(sim, "PUT", "/__sim/sms/settings", { failingNumbers: [] });
  });

  it("manual progression: the message stays Queued until a status is forced", async () => {
    await control(sim, "PUT", "/__sim/sms/settings", { progression: "manual" });
    try {
      const sent = await send({
        from: { phoneNumber: seeded.adminNumber },
        to: [{ phoneNumber: "+14155550104" }],
        text: "hold on",
      });
      expect((await message(sent.json.id)).messageStatus).toBe("Queued");
      const forced = await control(sim, "POST", `/__sim/messages/${sent.json.id}/status`, {
        messageStatus: "SendingFailed",
      });
      expect(forced.json).toMatchObject({ messageStatus: "SendingFailed", deliveryErrorCode: "SMS-RC-413" });
      await inbox.next(storeChangeFor(sent.json.id, "updatedCount"));
      expect((await message(sent.json.id)).messageStatus).toBe("SendingFailed");
      expect(
        (await control(sim, "POST", `/__sim/messages/${sent.json.id}/status`, { messageStatus: "Lost" })).status,
      ).toBe(400);
    } finally {
      await control(sim, "PUT", "/__sim/sms/settings", { progression: "auto" });
    }
  });
});
