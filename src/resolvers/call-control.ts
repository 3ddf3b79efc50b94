// Root fields for call control on the viewer's own calls (R3.10), outbound calls (R3.9) and the
// viewer's RingCentral login notices (R2.5).
import type { Context } from "../context.ts";
import { builder } from "../schema/builder.ts";
import { RING_CENTRAL_ERRORS } from "../schema/errors.ts";
import { viewerOf } from "../schema/viewer.ts";
import { CallRef } from "../schema/calls.ts";
import { ChannelRef } from "../schema/inboxes.ts";
import { ContactRef } from "../schema/contacts.ts";
import { CallControlPayload, PlaceCallPayload, RingCentralLoginEventRef } from "../schema/call-control.ts";
import {
  cancelConsultation,
  completeTransfer,
  consultCall,
  controlCall,
  LOGIN_EXPIRED_EVENT,
  placeCall,
  type CallAction,
  type CallControlDeps,
} from "../domain/call-control.ts";
import { viewerEventStream } from "./event-streams.ts";

function callControlDeps(ctx: Context): CallControlDeps {
  return { prisma: ctx.prisma, pubsub: ctx.pubsub, callControl: ctx.callControl };
}

const ACTIONS: [field: string, action: CallAction, description: string][] = [
  ["answerCall", "ANSWER", "Answer a call ringing for you; the conversation is then assigned to you."],
  ["holdCall", "HOLD", "Put your connected call on hold."],
  ["resumeCall", "RESUME", "Take your call off hold."],
  ["muteCall", "MUTE", "Mute your microphone on your call."],
  ["unmuteCall", "UNMUTE", "Unmute your microphone on your call."],
  ["hangUpCall", "HANG_UP", "End your connected call, or decline a call ringing for you."],
  ["sendCallToVoicemail", "TO_VOICEMAIL", "Send a call ringing for you, or your connected call, to your voicemail."],
];

const ERRORS_NOTE =
  " Acts through your own RingCentral login (RINGCENTRAL_LOGIN_REQUIRED without a valid one). CONFLICT when " +
  "you are not on the call or its state does not allow this; NOT_FOUND when you cannot see it.";

builder.mutationFields((t) => ({
  ...Object.fromEntries(
    ACTIONS.map(([field, action, description]) => [
      field,
      t.field({
        type: CallControlPayload,
        description: description + ERRORS_NOTE,
        errors: { types: RING_CENTRAL_ERRORS },
        args: { callId: t.arg.globalID({ for: CallRef, required: true, description: "The call." }) },
        resolve: async (_root, args, ctx) => ({
          call: await controlCall(callControlDeps(ctx), viewerOf(ctx), { callId: args.callId.id, action }),
        }),
      }),
    ]),
  ),
  transferCall: t.field({
    type: CallControlPayload,
    description:
      "Cold-transfer your connected call to an extension or a phone number (give exactly one). The " +
      "conversation stays the same; it moves to whoever picks up." +
      ERRORS_NOTE +
      " BAD_USER_INPUT for an invalid number, before anything is sent.",
    errors: { types: RING_CENTRAL_ERRORS },
    args: {
      callId: t.arg.globalID({ for: CallRef, required: true, description: "The call." }),
      toExtensionNumber: t.arg.string({
        required: false,
        description: "The RingCentral extension number to transfer to, e.g. `11103`.",
      }),
      toPhoneNumber: t.arg.string({
        required: false,
        description: "The phone number to transfer to (any format; read in the channel's country).",
      }),
    },
    resolve: async (_root, args, ctx) => ({
      call: await controlCall(callControlDeps(ctx), viewerOf(ctx), {
        callId: args.callId.id,
        action: "TRANSFER",
        toExtensionNumber: args.toExtensionNumber,
        toPhoneNumber: args.toPhoneNumber,
      }),
    }),
  }),
  consultCall: t.field({
    type: CallControlPayload,
    description:
      "Start a warm transfer of your connected call: the customer is put on hold and RingCentral calls a " +
      "colleague's extension or a phone number (give exactly one) from the phone you are on, so you can " +
      "talk first. Then `completeTransfer` or `cancelConsultation`. One consultation per call at a time." +
      ERRORS_NOTE +
      " BAD_USER_INPUT for an invalid number, before anything is sent.",
    errors: { types: RING_CENTRAL_ERRORS },
    args: {
      callId: t.arg.globalID({ for: CallRef, required: true, description: "The customer's call." }),
      toExtensionNumber: t.arg.string({
        required: false,
        description: "The RingCentral extension number to consult, e.g. `11103`.",
      }),
      toPhoneNumber: t.arg.string({
        required: false,
        description: "The phone number to consult (any format; read in the channel's country).",
      }),
    },
    resolve: async (_root, args, ctx) => ({
      call: await consultCall(callControlDeps(ctx), viewerOf(ctx), {
        callId: args.callId.id,
        toExtensionNumber: args.toExtensionNumber,
        toPhoneNumber: args.toPhoneNumber,
      }),
    }),
  }),
  completeTransfer: t.field({
    type: CallControlPayload,
    description:
      "Complete the warm transfer you started with `consultCall`: the customer and the person you consulted " +
      "are connected and you leave both calls. The consultation joins the customer's conversation, which " +
      "moves to them (an attended transfer)." +
      ERRORS_NOTE +
      " CONFLICT also when you have no consultation under way on the call.",
    errors: { types: RING_CENTRAL_ERRORS },
    args: { callId: t.arg.globalID({ for: CallRef, required: true, description: "The customer's call." }) },
    resolve: async (_root, args, ctx) => ({
      call: await completeTransfer(callControlDeps(ctx), viewerOf(ctx), args.callId.id),
    }),
  }),
  cancelConsultation: t.field({
    type: CallControlPayload,
    description:
      "Cancel the warm transfer you started with `consultCall`: the consultation call ends (unless it " +
      "already did) and the customer is taken off hold, back with you." +
      ERRORS_NOTE +
      " CONFLICT also when you have no consultation under way on the call.",
    errors: { types: RING_CENTRAL_ERRORS },
    args: { callId: t.arg.globalID({ for: CallRef, required: true, description: "The customer's call." }) },
    resolve: async (_root, args, ctx) => ({
      call: await cancelConsultation(callControlDeps(ctx), viewerOf(ctx), args.callId.id),
    }),
  }),
  placeCall: t.field({
    type: PlaceCallPayload,
    description:
      "Call a phone number or a contact from a connected VOICE channel (the customer sees the channel's " +
      "number, never your extension's): RingCentral rings your phone first, then them (RingOut). The " +
      "conversation lands in the channel's inbox, assigned to you. Everything is checked before " +
      "anything is sent." +
      " Needs your own RingCentral login (RINGCENTRAL_LOGIN_REQUIRED).",
    errors: { types: RING_CENTRAL_ERRORS },
    args: {
      channelId: t.arg.globalID({ for: ChannelRef, required: true, description: "The VOICE channel to call from." }),
      toPhoneNumber: t.arg.string({
        required: false,
        description: "The number to call (give this or contactId; any format).",
      }),
      contactId: t.arg.globalID({
        for: ContactRef,
        required: false,
        description: "The contact to call; their first number is used.",
      }),
    },
    resolve: (_root, args, ctx) =>
      placeCall(callControlDeps(ctx), viewerOf(ctx), {
        channelId: args.channelId.id,
        toPhoneNumber: args.toPhoneNumber,
        contactId: args.contactId?.id,
      }),
  }),
}));

builder.subscriptionFields((t) => ({
  ringCentralLoginChanged: t.field({
    type: RingCentralLoginEventRef,
    description:
      "Changes of your own RingCentral login: you are told when it expires, so you can connect it again. " +
      "Resumable with `after`.",
    args: { after: t.arg.string({ required: false, description: "Resume after this event cursor." }) },
    subscribe: (_root, args, ctx) => viewerEventStream(ctx, args.after, [LOGIN_EXPIRED_EVENT]),
    resolve: (event) => event,
  }),
}));
