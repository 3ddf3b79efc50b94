import { builder } from "../schema/builder.ts";
import { AgentStatusEventRef, CallUpdatedEventRef, IncomingCallEventRef } from "../schema/events.ts";
import { InboxRef } from "../schema/inboxes.ts";
import { inboxEventsOf, viewerEventStream, EVENT_IS_RESULT } from "./event-streams.ts";

builder.subscriptionFields((t) => ({
  incomingCall: t.field({
    type: IncomingCallEventRef,
    description:
      "Calls RingCentral is ringing you for (matched by your email), unless you muted the incoming call " +
      "banner. Resumable with `after`.",
    args: { after: t.arg.string({ required: false, description: "Resume after this event cursor." }) },
    subscribe: (_root, args, ctx) => viewerEventStream(ctx, args.after, ["INCOMING_CALL"]),
    resolve: (event) => event,
  }),
  callUpdated: t.field({
    type: CallUpdatedEventRef,
    description: "Every change of state of calls in an inbox. Resumable with `after`.",
    args: {
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox." }),
      after: t.arg.string({ required: false, description: "Resume after this event cursor." }),
    },
    subscribe: (_root, args, ctx) => inboxEventsOf(ctx, args.inboxId.id, args.after, ["CALL_UPDATED"]),
    resolve: (event) => event,
    extensions: EVENT_IS_RESULT,
  }),
  agentStatusChanged: t.field({
    type: AgentStatusEventRef,
    description: "Availability changes of the members of an inbox. Resumable with `after`.",
    args: {
      inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox." }),
      after: t.arg.string({ required: false, description: "Resume after this event cursor." }),
    },
    subscribe: (_root, args, ctx) => inboxEventsOf(ctx, args.inboxId.id, args.after, ["AGENT_STATUS_CHANGED"]),
    resolve: (event) => event,
    extensions: EVENT_IS_RESULT,
  }),
}));
