// Root fields for RingCentral setup (R2.1–R2.3, admins) and the agent's own login (R2.5).
import type { Context } from "../context.ts";
import { builder } from "../schema/builder.ts";
import { RING_CENTRAL_ERRORS } from "../schema/errors.ts";
import { viewerOf } from "../schema/viewer.ts";
import { ChannelRef, ChannelTypeEnum, InboxRef } from "../schema/inboxes.ts";
import { UserPayload } from "../schema/payloads.ts";
import {
  ChannelPayload,
  RingCentralConnectionRef,
  RingCentralNumberRef,
  VerifyRingCentralCredentialsPayload,
} from "../schema/ringcentral.ts";
import {
  currentConnection,
  listAccountNumbers,
  verifyCredentials,
  type RingCentralDeps,
} from "../domain/connections.ts";
import { connectChannel, disconnectChannel, moveChannel, updateChannel } from "../domain/channels.ts";
import { connectAgentLogin, disconnectAgentLogin } from "../domain/agent-sessions.ts";

function ringCentralDeps(ctx: Context): RingCentralDeps {
  return { prisma: ctx.prisma, secrets: ctx.ringCentral.secrets, gateway: ctx.ringCentral.gateway };
}

builder.queryFields((t) => ({
  ringCentralConnection: t.field({
    type: RingCentralConnectionRef,
    nullable: true,
    description: "Admins: the connected RingCentral account (never its secrets); null before one is connected.",
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => currentConnection(ctx.prisma),
  }),
  ringCentralNumbers: t.field({
    type: [RingCentralNumberRef],
    description:
      "Admins: the connected account's phone numbers, listed again with the saved credentials; empty before " +
      "one is connected.",
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => listAccountNumbers(ringCentralDeps(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  verifyRingCentralCredentials: t.field({
    type: VerifyRingCentralCredentialsPayload,
    description:
      "Admins: verify RingCentral credentials by logging in (JWT) as a RingCentral admin, list the account's " +
      "numbers, and save the credentials encrypted. Nothing is saved when verification fails.",
    authScopes: { admin: true },
    errors: { types: RING_CENTRAL_ERRORS },
    args: {
      serverUrl: t.arg.string({
        required: true,
        description: "RingCentral's server URL, e.g. https://platform.ringcentral.com.",
      }),
      clientId: t.arg.string({ required: true, description: "The RingCentral app's client id." }),
      clientSecret: t.arg.string({
        required: true,
        description: "The RingCentral app's client secret (stored encrypted, never shown again).",
      }),
      jwt: t.arg.string({
        required: true,
        description: "A RingCentral admin's JWT credential (stored encrypted, never shown again).",
      }),
    },
    resolve: (_root, args, ctx) => verifyCredentials(ringCentralDeps(ctx), args),
  }),
  connectChannel: t.field({
    type: ChannelPayload,
    description:
      "Admins: connect a number of the RingCentral account as a VOICE or SMS channel routed to an inbox. " +
      "Uses the saved credentials. A disconnected channel is connected again the same way.",
    authScopes: { admin: true },
    errors: { types: RING_CENTRAL_ERRORS },
    args: {
      number: t.arg.string({
        required: true,
        description: "RingCentral's phone-number id, or the number itself (E.164 or national).",
      }),
      type: t.arg({
        type: ChannelTypeEnum,
        required: true,
        description: "VOICE or SMS; SMS needs a number that can send SMS.",
      }),
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "Where its conversations land." }),
      closeAfterSeconds: t.arg.int({
        required: false,
        description:
          "SMS only: archive conversations after this many seconds without activity (60 to 7776000); omit or " +
          "null for never.",
      }),
    },
    resolve: async (_root, args, ctx) => ({
      channel: await connectChannel(
        { ...ringCentralDeps(ctx), pubsub: ctx.pubsub },
        {
          number: args.number,
          type: args.type,
          inboxId: args.inboxId.id,
          closeAfterSeconds: args.closeAfterSeconds,
        },
      ),
    }),
  }),
  moveChannel: t.field({
    type: ChannelPayload,
    description: "Admins: route a connected channel's calls and messages to another inbox.",
    authScopes: { admin: true },
    errors: { types: RING_CENTRAL_ERRORS },
    args: {
      channelId: t.arg.globalID({ for: ChannelRef, required: true, description: "The channel." }),
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox to route it to." }),
    },
    resolve: async (_root, args, ctx) => ({
      channel: await moveChannel(ctx.prisma, args.channelId.id, args.inboxId.id),
    }),
  }),
  disconnectChannel: t.field({
    type: ChannelPayload,
    description:
      "Admins: stop routing a channel's number. Its conversations stay; connect it again with `connectChannel`.",
    authScopes: { admin: true },
    errors: { types: RING_CENTRAL_ERRORS },
    args: { channelId: t.arg.globalID({ for: ChannelRef, required: true, description: "The channel." }) },
    resolve: async (_root, args, ctx) => ({ channel: await disconnectChannel(ctx, args.channelId.id) }),
  }),
  updateChannel: t.field({
    type: ChannelPayload,
    description: "Admins: change an SMS channel's close-conversations setting.",
    authScopes: { admin: true },
    errors: { types: RING_CENTRAL_ERRORS },
    args: {
      channelId: t.arg.globalID({ for: ChannelRef, required: true, description: "The channel (SMS)." }),
      closeAfterSeconds: t.arg.int({
        required: false,
        description: "Archive conversations after this many seconds without activity (60 to 7776000); null for never.",
      }),
    },
    resolve: async (_root, args, ctx) => ({
      channel: await updateChannel(ctx.prisma, args.channelId.id, {
        closeAfterSeconds: args.closeAfterSeconds ?? null,
      }),
    }),
  }),
  connectRingCentralLogin: t.field({
    type: UserPayload,
    description:
      "Connect your own RingCentral login, used to place and control your calls. The JWT must log in as " +
      "the extension with your email; only the resulting session is kept (encrypted), not the JWT.",
    errors: { types: RING_CENTRAL_ERRORS },
    args: { jwt: t.arg.string({ required: true, description: "Your RingCentral JWT credential." }) },
    resolve: async (_root, args, ctx) => ({
      user: await connectAgentLogin(ringCentralDeps(ctx), viewerOf(ctx).id, args.jwt),
    }),
  }),
  disconnectRingCentralLogin: t.field({
    type: UserPayload,
    description: "Forget your own RingCentral login (and end its session at RingCentral).",
    errors: { types: RING_CENTRAL_ERRORS },
    resolve: async (_root, _args, ctx) => ({
      user: await disconnectAgentLogin(ringCentralDeps(ctx), viewerOf(ctx).id),
    }),
  }),
}));
