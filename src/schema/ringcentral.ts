// RingCentral setup types (R2.1–R2.3): the saved connection (never its secrets), the account's
// numbers, and the payloads of the connect/move/disconnect mutations.
import type { RingCentralConnection } from "../generated/prisma/client.ts";
import { connectionStatus, type ListedNumber } from "../domain/connections.ts";
import { builder } from "./builder.ts";
import { ChannelRef, ChannelTypeEnum } from "./inboxes.ts";

export const RingCentralConnectionStatusEnum = builder.enumType("RingCentralConnectionStatus", {
  description: "Where the RingCentral connection stands.",
  values: {
    VERIFIED: { description: "Credentials verified and stored; no event subscription is running yet." },
    SUBSCRIBED: { description: "The worker holds an active RingCentral event subscription." },
    SUBSCRIPTION_PROBLEM: { description: "The event subscription is not active (the worker is repairing it)." },
  } as const,
});

// Deliberately lists fields one by one: the stored credentials must never become reachable.
export const RingCentralConnectionRef = builder.objectRef<RingCentralConnection>("RingCentralConnection").implement({
  description: "The connected RingCentral account. Its client secret and JWT are stored encrypted and never shown.",
  fields: (t) => ({
    serverUrl: t.exposeString("serverUrl", {
      description: "RingCentral's server URL, e.g. https://platform.ringcentral.com.",
    }),
    clientId: t.exposeString("clientId", { description: "The RingCentral app's client id (not secret)." }),
    accountId: t.exposeString("accountId", { description: "The RingCentral account id." }),
    ownerExtensionId: t.exposeString("ownerExtensionId", {
      description: "The admin extension whose JWT credential is used.",
    }),
    status: t.field({
      type: RingCentralConnectionStatusEnum,
      description: "Whether events are flowing.",
      resolve: connectionStatus,
    }),
    subscriptionMode: t.exposeString("subscriptionMode", {
      description: "How events arrive: WEBSOCKET (default) or WEBHOOK.",
    }),
    lastCaughtUpAt: t.expose("lastCaughtUpAt", {
      type: "DateTime",
      nullable: true,
      description: "When the worker last reconciled from RingCentral's history.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When RingCentral was first connected." }),
    updatedAt: t.expose("updatedAt", {
      type: "DateTime",
      description: "When the connection last changed (credentials verified, subscription state).",
    }),
  }),
});

export const RingCentralNumberRef = builder.objectRef<ListedNumber>("RingCentralNumber").implement({
  description: "A phone number of the connected RingCentral account, and how it is connected here.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "RingCentral's phone-number id (pass it to `connectChannel`)." }),
    phoneNumber: t.exposeString("phoneNumber", { description: "The number, E.164." }),
    label: t.exposeString("label", { nullable: true, description: "RingCentral's label for the number." }),
    usageType: t.exposeString("usageType", {
      description: "RingCentral's usage type: MainCompanyNumber, DirectNumber, CompanyNumber…",
    }),
    canSendSms: t.exposeBoolean("canSendSms", {
      description: "Whether RingCentral lets it send SMS (needed for an SMS channel).",
    }),
    connectedTypes: t.field({
      type: [ChannelTypeEnum],
      description: "The channel types this number is connected as (each type at most once).",
      resolve: (number) => number.connectedTypes,
    }),
  }),
});

export const VerifyRingCentralCredentialsPayload = builder
  .objectRef<{ connection: RingCentralConnection; numbers: ListedNumber[] }>("VerifyRingCentralCredentialsPayload")
  .implement({
    description: "Verified and saved credentials, and the account's numbers.",
    fields: (t) => ({
      connection: t.field({
        type: RingCentralConnectionRef,
        description: "The saved connection.",
        resolve: (p) => p.connection,
      }),
      accountId: t.string({ description: "The RingCentral account id.", resolve: (p) => p.connection.accountId }),
      numbers: t.field({
        type: [RingCentralNumberRef],
        description: "The account's phone numbers.",
        resolve: (p) => p.numbers,
      }),
    }),
  });

export const ChannelPayload = builder.objectRef<{ channel: { id: string } }>("ChannelPayload").implement({
  description: "A channel after a change.",
  fields: (t) => ({
    channel: t.field({
      type: ChannelRef as never,
      description: "The channel after the change.",
      resolve: (p) => p.channel as never,
    }),
  }),
});

builder.prismaObjectField("Channel", "disconnectedAt", (t) =>
  t.expose("disconnectedAt", {
    type: "DateTime",
    nullable: true,
    description: "When it was disconnected; null while connected.",
  }),
);
builder.prismaObjectField("Channel", "ringCentralNumberId", (t) =>
  t.exposeString("ringCentralNumberId", { nullable: true, description: "RingCentral's id of the number." }),
);
