import { builder } from "../schema/builder.ts";
import { viewerOf } from "../schema/viewer.ts";
import { AnalyticsFilter, AnalyticsRef, GranularityEnum, QueueStatusRef } from "../schema/analytics.ts";
import { InboxRef } from "../schema/inboxes.ts";
import { inboxEventsOf } from "./event-streams.ts";
import { QUEUE_STATUS_EVENTS, queueStatus, queueStatusUpdates } from "../domain/queue-status.ts";
import { decodeIds } from "../schema/rules.ts";
import { analytics } from "../domain/analytics/query.ts";

builder.queryFields((t) => ({
  analytics: t.field({
    type: AnalyticsRef,
    description:
      "Figures for dashboards over the inboxes you can see (admins: all): voice, SMS and CSAT totals, a series " +
      "of buckets in a time zone, and per inbox, channel and agent. Definitions: README, Analytics.",
    args: {
      filter: t.arg({ type: AnalyticsFilter, required: true, description: "Range, time zone and filters." }),
      granularity: t.arg({ type: GranularityEnum, required: true, description: "Bucket length." }),
      serviceLevelSeconds: t.arg.int({ required: false, description: "Service level wait limit (default 20)." }),
      abandonAfterSeconds: t.arg.int({
        required: false,
        description: "Abandons before this wait are left out of rates (default 5).",
      }),
    },
    resolve: (_root, args, ctx) =>
      analytics(ctx.prisma, viewerOf(ctx), {
        from: args.filter.from,
        to: args.filter.to,
        timeZone: args.filter.timeZone,
        granularity: args.granularity,
        inboxIds: decodeIds("Inbox", args.filter.inboxes ?? [], "filter.inboxes"),
        channelIds: decodeIds("Channel", args.filter.channels ?? [], "filter.channels"),
        agentIds: decodeIds("User", args.filter.agents ?? [], "filter.agents"),
        serviceLevelSeconds: args.serviceLevelSeconds,
        abandonAfterSeconds: args.abandonAfterSeconds,
      }),
  }),
}));

builder.subscriptionFields((t) => ({
  queueStatus: t.field({
    type: QueueStatusRef,
    description:
      "An inbox's queue for wallboards: the figures now, then again whenever a call or an agent's status " +
      "changes them (at most once a second), from every API instance.",
    args: { inboxId: t.arg.globalID({ for: InboxRef, required: true, description: "The inbox." }) },
    subscribe: async (_root, args, ctx) => {
      const inboxId = args.inboxId.id;
      const changes = await inboxEventsOf(ctx, inboxId, null, QUEUE_STATUS_EVENTS);
      return queueStatusUpdates((now) => queueStatus(ctx.prisma, inboxId, now), changes, { now: ctx.clock });
    },
    resolve: (status) => status,
  }),
}));
