import { builder } from "../schema/builder.ts";
import { viewerOf } from "../schema/viewer.ts";
import { AgentStatusEventRef, CallUpdatedEventRef, IncomingCallEventRef } from "../schema/events.ts";
import { InboxRef } from "../schema/inboxes.ts";
import { visibleEvents } from "../domain/access.ts";
import { resumableEvents } from "../domain/events.ts";
import { parseEventCursor, requireVisibleInbox } from "./event-streams.ts";

builder.subscriptionFields((t) => ({
  incomingCall: t.field({
    type: IncomingCallEventRef,
    description:
      "Calls RingCentral is ringing you for (matched by your email), unless you muted the incoming call banner. Resumable with `after`.",
    args: { after: t.arg.string({ required: false, description: "Resume after this event cursor." }) },
    subscribe: (_root, args, ctx) => {
      const viewer = viewerOf(ctx);
      const where = { type: "INCOMING_CALL", userIds: { has: viewer.id } };
      return resumableEvents(ctx, "user", viewer.id, where, parseEventCursor(args.after), (e) => e.type === "INCOMING_CALL");
    },
    resolve: (event) => event,
  }),
  callUpdated: t.field({
    type: CallUpdatedEventRef,
    description: "Every change of state of calls in an inbox. Resumable with `after`.",
    args: {
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox." }),
      after: t.arg.string({ required: false, description: "Resume after this event cursor." }),
    },
    subscribe: async (_root, args, ctx) => {
      const inboxId = await requireVisibleInbox(ctx, args.inboxId.id);
      const where = { type: "CALL_UPDATED", inboxIds: { has: inboxId } };
      return resumableEvents(ctx, "inbox", inboxId, where, parseEventCursor(args.after), (e) => e.type === "CALL_UPDATED");
    },
    resolve: (event) => event,
  }),
  agentStatusChanged: t.field({
    type: AgentStatusEventRef,
    description: "Availability changes of the members of an inbox. Resumable with `after`.",
    args: {
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox." }),
      after: t.arg.string({ required: false, description: "Resume after this event cursor." }),
    },
    subscribe: async (_root, args, ctx) => {
      const inboxId = await requireVisibleInbox(ctx, args.inboxId.id);
      const where = { AND: [{ type: "AGENT_STATUS_CHANGED", inboxIds: { has: inboxId } }, visibleEvents(viewerOf(ctx))] };
      return resumableEvents(ctx, "inbox", inboxId, where, parseEventCursor(args.after), (e) => e.type === "AGENT_STATUS_CHANGED");
    },
    resolve: (event) => event,
  }),
}));
