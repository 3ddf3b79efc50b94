// SMS on the worker side (R4): instant-SMS notifications carry the whole inbound message;
// message-store notifications only count changes, so they trigger a message-sync (ISync) of the
// extension's store, which is also how catch-up reads what happened during a gap (R9.4).
import { z } from "zod";
import type { RestApi } from "./rest.ts";
import type { Logger } from "../../logger.ts";
import type { Deps } from "../../domain/event-log.ts";
import { applyMessageStatus } from "../../domain/sms/delivery-status.ts";
import { ingestInboundMessage, type InboundMessageInput } from "../../domain/sms/inbound.ts";
import { deliveryStatusOf } from "./sms.ts";
import { RingCentralRequestError } from "../../domain/ringcentral-errors.ts";
import type { Envelope } from "./notifications.ts";

const attachment = z
  .object({
    id: z.union([z.string(), z.number()]),
    type: z.string(),
    contentType: z.string(),
    uri: z.string(),
    size: z.number().optional(),
    fileName: z.string().optional(),
  })
  .passthrough();
const message = z
  .object({
    id: z.union([z.string(), z.number()]),
    type: z.string(),
    direction: z.enum(["Inbound", "Outbound"]),
    from: z.object({ phoneNumber: z.string().optional() }).passthrough().optional(),
    to: z.array(z.object({ phoneNumber: z.string().optional() }).passthrough()).optional(),
    subject: z.string().optional(),
    messageStatus: z.string().optional(),
    creationTime: z.string(),
    lastModifiedTime: z.string().optional(),
    attachments: z.array(attachment).optional(),
  })
  .passthrough();

/** What the SMS domain needs from RingCentral's message (only media attachments: the text is the subject). */
export function inboundInput(raw: unknown): InboundMessageInput | null {
  const parsed = message.safeParse(raw);
  if (!parsed.success) return null;
  const m = parsed.data;
  const channelNumber = m.to?.[0]?.phoneNumber;
  const from = m.from?.phoneNumber;
  if (!channelNumber || !from) return null;
  return {
    ringCentralId: String(m.id),
    channelNumber,
    from,
    text: m.subject ?? "",
    attachments: (m.attachments ?? [])
      .filter((a) => a.type === "MmsAttachment")
      .map((a) => ({
        ringCentralId: String(a.id),
        contentType: a.contentType,
        fileName: a.fileName ?? null,
        sizeBytes: a.size ?? null,
        contentUri: a.uri,
      })),
    createdAt: new Date(m.creationTime),
  };
}

/** Applies one message-store record: inbound are stored (idempotently), outbound move their status. */
export async function applyStoreMessage(deps: Deps, log: Logger, raw: unknown): Promise<void> {
  const parsed = message.safeParse(raw);
  if (!parsed.success) {
    log.warn({ issues: parsed.error.issues.slice(0, 3) }, "ignored a malformed message-store record");
    return;
  }
  const m = parsed.data;
  if (m.type !== "SMS") return;
  if (m.direction === "Inbound") {
    const input = inboundInput(m);
    const stored = input ? await ingestInboundMessage(deps, input) : null;
    if (!stored) log.info({ messageId: String(m.id) }, "SMS to a number that is not connected: ignored");
    return;
  }
  const status = deliveryStatusOf(m.messageStatus ?? "");
  if (status)
    await applyMessageStatus(deps, {
      ringCentralId: String(m.id),
      status,
      at: new Date(m.lastModifiedTime ?? m.creationTime),
    });
}

/** The extension a message-store event path belongs to. */
export function extensionOfEvent(event: string): string | null {
  return /\/extension\/([^/?]+)\//.exec(event)?.[1] ?? null;
}

export interface MessageSyncStore {
  token(extensionId: string): Promise<string | null>;
  save(extensionId: string, token: string): Promise<void>;
}

const syncResponse = z.object({
  records: z.array(z.unknown()),
  syncInfo: z.object({ syncToken: z.string() }).passthrough(),
});

/** Message-sync of one extension's store: ISync from the saved token, FSync over a window otherwise. */
export async function syncMessages(
  options: Deps & { log: Logger; platform: RestApi; store: MessageSyncStore; since: Date },
  extensionId: string,
): Promise<number> {
  const path = `/restapi/v1.0/account/~/extension/${extensionId}/message-sync`;
  const token = await options.store.token(extensionId);
  let body: unknown = null;
  if (token) {
    body = await options.platform
      .get(path, { syncType: "ISync", syncToken: token })
      .then((r) => r.json())
      .catch((error: unknown) => {
        // Only RingCentral refusing the request (the token) calls for a full sync. Anything else (rate
        // limited, RingCentral away) fails this sync with its token kept: the REST work queue tries
        // it again, and a full sync would re-read the whole window and miss what is older than it.
        if (!(error instanceof RingCentralRequestError)) throw error;
        options.log.warn({ err: error, extensionId }, "message ISync refused; starting over with FSync");
        return null;
      });
  }
  body ??= await (
    await options.platform.get(path, { syncType: "FSync", messageType: "SMS", dateFrom: options.since.toISOString() })
  ).json();
  const parsed = syncResponse.parse(body);
  // Oldest first, so statuses and threads build up in the order they happened.
  for (const record of [...parsed.records].reverse()) await applyStoreMessage(options, options.log, record);
  await options.store.save(extensionId, parsed.syncInfo.syncToken);
  return parsed.records.length;
}

/** Sync tokens per extension, kept as JSON in the connection's messageSyncToken column. */
export function connectionSyncStore(deps: Deps, connectionId: string): MessageSyncStore {
  const read = async () => {
    const row = await deps.prisma.ringCentralConnection.findUniqueOrThrow({
      where: { id: connectionId },
      select: { messageSyncToken: true },
    });
    try {
      return JSON.parse(row.messageSyncToken ?? "{}") as Record<string, string>;
    } catch {
      return {};
    }
  };
  return {
    token: async (extensionId) => (await read())[extensionId] ?? null,
    save: async (extensionId, token) => {
      const tokens = { ...(await read()), [extensionId]: token };
      await deps.prisma.ringCentralConnection.update({
        where: { id: connectionId },
        data: { messageSyncToken: JSON.stringify(tokens) },
      });
    },
  };
}

export function instantSmsHandler(deps: Deps, log: Logger) {
  return async (envelope: Envelope) => applyStoreMessage(deps, log, envelope.body);
}

/** Extensions owning the connected SMS numbers: their message stores carry the numbers' SMS. */
export async function smsExtensionIds(deps: Deps, connectionId: string, platform: RestApi): Promise<string[]> {
  const channels = await deps.prisma.channel.findMany({
    where: { connectionId, type: "SMS", disconnectedAt: null },
    select: { phoneNumber: true, ringCentralExtensionId: true },
  });
  if (channels.length === 0) return [];
  const unknown = channels.filter((c) => !c.ringCentralExtensionId).map((c) => c.phoneNumber);
  const owners = unknown.length > 0 ? await numberOwners(platform) : new Map<string, string>();
  return [...new Set(channels.map((c) => c.ringCentralExtensionId ?? owners.get(c.phoneNumber) ?? "~"))];
}

async function numberOwners(platform: RestApi): Promise<Map<string, string>> {
  const response = await platform.get("/restapi/v1.0/account/~/phone-number", { perPage: 1000 });
  const body = (await response.json()) as {
    records?: { phoneNumber?: string; extension?: { id?: string | number } }[];
  };
  return new Map(
    (body.records ?? []).flatMap((r) =>
      r.phoneNumber && r.extension?.id ? [[r.phoneNumber, String(r.extension.id)] as const] : [],
    ),
  );
}

/** Message-sync of every extension that owns a connected SMS number (`switchboard sync`). */
export async function syncAllMessages(
  deps: Deps,
  log: Logger,
  client: { rest: RestApi },
  connectionId: string,
  onProgress?: (progress: { stage: "messages"; done: number; total: number }) => void,
  known?: string[],
): Promise<number> {
  const platform = client.rest;
  const extensions = known ?? (await smsExtensionIds(deps, connectionId, platform));
  // A first sync looks back a day; later ones continue from their token.
  const since = new Date(Date.now() - 24 * 3600_000);
  let total = 0;
  for (const [index, extensionId] of extensions.entries()) {
    total += await syncMessages(
      { ...deps, log, platform, store: connectionSyncStore(deps, connectionId), since },
      extensionId,
    );
    onProgress?.({ stage: "messages", done: index + 1, total: extensions.length });
  }
  return total;
}
