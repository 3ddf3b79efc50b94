// Analytics for dashboards: figures for voice, SMS and CSAT over a range, per bucket, inbox, channel
// and agent. Definitions: README "Analytics" (src/domain/analytics/facts.ts).
import { builder } from "./builder.ts";
import { ChannelRef, InboxRef } from "./inboxes.ts";
import { UserRef } from "./users.ts";
import type {
  AnalyticsResult,
  CsatFigures,
  DurationFigures,
  Figures,
  SmsFigures,
  VoiceFigures,
} from "../domain/analytics/query.ts";
import type { QueueStatus } from "../domain/queue-status.ts";

export const GranularityEnum = builder.enumType("AnalyticsGranularity", {
  description: "How long each bucket of a series is.",
  values: {
    HOUR: { description: "Elapsed hours (a day when clocks go back has 25 of them)." },
    DAY: { description: "Calendar days in the time zone (23, 24 or 25 hours long)." },
    WEEK: { description: "Calendar weeks in the time zone, Monday to Sunday." },
  } as const,
});

export const AnalyticsFilter = builder.inputType("AnalyticsFilter", {
  description: "Which figures to count: a range of whole hours, in a time zone, optionally narrowed.",
  fields: (t) => ({
    from: t.field({ type: "DateTime", required: true, description: "Start (inclusive), a whole hour." }),
    to: t.field({ type: "DateTime", required: true, description: "End (exclusive), a whole hour." }),
    timeZone: t.string({
      required: false,
      description: "IANA time zone of the buckets, e.g. Europe/Berlin (default UTC); a whole number of hours from UTC.",
    }),
    inboxes: t.idList({ required: false, description: "Only these inboxes (default: every inbox you can see)." }),
    channels: t.idList({ required: false, description: "Only these channels." }),
    agents: t.idList({ required: false, description: "Only figures counted for these agents." }),
  }),
});

const DurationRef = builder.objectRef<DurationFigures>("DurationFigures").implement({
  description: "A duration over a number of items: average, median and 90th percentile (exact), in seconds.",
  fields: (t) => ({
    count: t.exposeInt("count", { description: "How many items have the duration." }),
    averageSeconds: t.exposeFloat("averageSeconds", { nullable: true, description: "Mean (null: none)." }),
    medianSeconds: t.exposeFloat("medianSeconds", { nullable: true, description: "Median (null: none)." }),
    p90Seconds: t.exposeFloat("p90Seconds", { nullable: true, description: "90th percentile (null: none)." }),
  }),
});

const int = (description: string) => ({ description });

const VoiceRef = builder.objectRef<VoiceFigures>("VoiceFigures").implement({
  description: "Calls: counts by direction and outcome, rates, waits, talk and hold time, transfers and agents' legs.",
  fields: (t) => ({
    inbound: t.exposeInt("inbound", int("Inbound calls that started in the range.")),
    outbound: t.exposeInt("outbound", int("Outbound calls that started in the range.")),
    answered: t.exposeInt("answered", int("Inbound calls an agent answered.")),
    missed: t.exposeInt("missed", int("Inbound calls that rang out unanswered.")),
    abandoned: t.exposeInt("abandoned", int("Inbound calls whose caller hung up before an answer.")),
    voicemail: t.exposeInt("voicemail", int("Inbound calls that went to voicemail.")),
    answerRate: t.exposeFloat("answerRate", {
      nullable: true,
      description: "answered / (answered + missed + abandoned + voicemail).",
    }),
    answeredWithinServiceLevel: t.exposeInt(
      "answeredWithinServiceLevel",
      int("Answered calls that waited at most serviceLevelSeconds."),
    ),
    serviceLevel: t.exposeFloat("serviceLevel", {
      nullable: true,
      description: "answeredWithinServiceLevel / (ended inbound calls but those abandoned before abandonAfterSeconds).",
    }),
    abandonedAfterThreshold: t.exposeInt(
      "abandonedAfterThreshold",
      int("Abandoned calls that waited at least abandonAfterSeconds."),
    ),
    abandonRate: t.exposeFloat("abandonRate", {
      nullable: true,
      description: "abandonedAfterThreshold / (ended inbound calls but those abandoned before abandonAfterSeconds).",
    }),
    wait: t.field({
      type: DurationRef,
      description: "Queue time before answer, of answered calls.",
      resolve: (v) => v.wait,
    }),
    talk: t.field({
      type: DurationRef,
      description: "Talk time of answered calls (both directions).",
      resolve: (v) => v.talk,
    }),
    hold: t.field({
      type: DurationRef,
      description:
        "Hold time of answered calls (both directions): the seconds agents' legs were on hold, warm-transfer " +
        "consultations included; count: answered calls whose hold is known (0 s when never held).",
      resolve: (v) => v.hold,
    }),
    transfers: t.exposeInt("transfers", int("Times a further agent answered an inbound call.")),
    agentRung: t.exposeInt("agentRung", int("Agents rung by ended inbound calls (each agent once per call).")),
    agentAnswered: t.exposeInt("agentAnswered", int("Of those, the agent answered.")),
    agentMissed: t.exposeInt("agentMissed", int("Of those, nobody answered the call.")),
    agentAnsweredElsewhere: t.exposeInt(
      "agentAnsweredElsewhere",
      int("Of those, a colleague answered: not missed for this agent."),
    ),
  }),
});

const SmsRef = builder.objectRef<SmsFigures>("SmsFigures").implement({
  description: "Texts: conversations, messages, failures, first response and resolution times.",
  fields: (t) => ({
    conversationsOpened: t.exposeInt("conversationsOpened", int("SMS conversations created.")),
    conversationsClosed: t.exposeInt("conversationsClosed", int("SMS conversations archived (now archived).")),
    inbound: t.exposeInt("inbound", int("Messages from customers.")),
    outbound: t.exposeInt("outbound", int("Messages to customers.")),
    mms: t.exposeInt("mms", int("Messages with an attachment.")),
    deliveryFailures: t.exposeInt("deliveryFailures", int("Outbound messages that failed.")),
    firstResponse: t.field({
      type: DurationRef,
      description: "From a conversation's first customer message to the first reply a person sent.",
      resolve: (v) => v.firstResponse,
    }),
    resolution: t.field({
      type: DurationRef,
      description: "From a conversation's opening to its archiving.",
      resolve: (v) => v.resolution,
    }),
  }),
});

const CsatRef = builder.objectRef<CsatFigures>("CsatFigures").implement({
  description: "Satisfaction survey answers.",
  fields: (t) => ({
    responses: t.exposeInt("responses", int("Answers received.")),
    averageScore: t.exposeFloat("averageScore", { nullable: true, description: "Mean score (1-5)." }),
    distribution: t.exposeIntList("distribution", int("Answers with score 1, 2, 3, 4 and 5.")),
  }),
});

const FiguresRef = builder.objectRef<Figures>("AnalyticsFigures").implement({
  description: "Voice, SMS and CSAT figures of one group (all, a bucket, an inbox, a channel, an agent).",
  fields: (t) => ({
    voice: t.field({ type: VoiceRef, description: "Calls.", resolve: (f) => f.voice }),
    sms: t.field({ type: SmsRef, description: "Texts.", resolve: (f) => f.sms }),
    csat: t.field({ type: CsatRef, description: "Satisfaction.", resolve: (f) => f.csat }),
  }),
});

const BucketRef = builder.objectRef<AnalyticsResult["series"][number]>("AnalyticsBucket").implement({
  description: "One bucket of the series.",
  fields: (t) => ({
    start: t.expose("start", { type: "DateTime", description: "Its start." }),
    end: t.expose("end", { type: "DateTime", description: "Its end (the next bucket's start, or the range's end)." }),
    figures: t.field({ type: FiguresRef, description: "Its figures.", resolve: (b) => b.figures }),
  }),
});

const InboxFiguresRef = builder.objectRef<AnalyticsResult["byInbox"][number]>("InboxAnalytics").implement({
  description: "The figures of one inbox.",
  fields: (t) => ({
    inbox: t.field({
      type: InboxRef,
      nullable: true,
      description: "The inbox (null: of no inbox).",
      resolve: (r, _a, ctx) => (r.inboxId ? ctx.prisma.inbox.findUnique({ where: { id: r.inboxId } }) : null),
    }),
    figures: t.field({ type: FiguresRef, description: "Its figures.", resolve: (r) => r.figures }),
  }),
});

const ChannelFiguresRef = builder.objectRef<AnalyticsResult["byChannel"][number]>("ChannelAnalytics").implement({
  description: "The figures of one channel (phone number).",
  fields: (t) => ({
    channel: t.field({
      type: ChannelRef,
      nullable: true,
      description: "The channel (null: of no channel).",
      resolve: (r, _a, ctx) => (r.channelId ? ctx.prisma.channel.findUnique({ where: { id: r.channelId } }) : null),
    }),
    figures: t.field({ type: FiguresRef, description: "Its figures.", resolve: (r) => r.figures }),
  }),
});

const AgentFiguresRef = builder.objectRef<AnalyticsResult["byAgent"][number]>("AgentAnalytics").implement({
  description: "The figures counted for one agent.",
  fields: (t) => ({
    agent: t.field({
      type: UserRef,
      nullable: true,
      description: "The agent (null: figures counted for no agent, e.g. inbound messages).",
      resolve: (r, _a, ctx) => (r.agentId ? ctx.prisma.user.findUnique({ where: { id: r.agentId } }) : null),
    }),
    figures: t.field({ type: FiguresRef, description: "Their figures.", resolve: (r) => r.figures }),
  }),
});

export const AnalyticsRef = builder.objectRef<AnalyticsResult>("Analytics").implement({
  description: "Figures over a range: totals, a series of buckets, and per inbox, channel and agent.",
  fields: (t) => ({
    from: t.expose("from", { type: "DateTime", description: "The range's start." }),
    to: t.expose("to", { type: "DateTime", description: "The range's end." }),
    timeZone: t.exposeString("timeZone", { description: "The buckets' time zone." }),
    granularity: t.expose("granularity", { type: GranularityEnum, description: "The buckets' length." }),
    serviceLevelSeconds: t.exposeInt("serviceLevelSeconds", { description: "The service level's wait limit." }),
    abandonAfterSeconds: t.exposeInt("abandonAfterSeconds", {
      description: "Abandons before this many seconds of waiting are left out of rates.",
    }),
    totals: t.field({ type: FiguresRef, description: "All of the range.", resolve: (a) => a.totals }),
    series: t.field({
      type: [BucketRef],
      description: "Every bucket of the range, in order.",
      resolve: (a) => a.series,
    }),
    byInbox: t.field({ type: [InboxFiguresRef], description: "Per inbox.", resolve: (a) => a.byInbox }),
    byChannel: t.field({ type: [ChannelFiguresRef], description: "Per channel.", resolve: (a) => a.byChannel }),
    byAgent: t.field({ type: [AgentFiguresRef], description: "Per agent.", resolve: (a) => a.byAgent }),
  }),
});

export const QueueStatusRef = builder.objectRef<QueueStatus>("QueueStatus").implement({
  description: "An inbox's queue now, for wallboards.",
  fields: (t) => ({
    inbox: t.field({
      type: InboxRef,
      nullable: true,
      description: "The inbox.",
      resolve: (s, _a, ctx) => ctx.prisma.inbox.findUnique({ where: { id: s.inboxId } }),
    }),
    at: t.expose("at", { type: "DateTime", description: "When these figures were read." }),
    waiting: t.exposeInt("waiting", { description: "Inbound calls ringing or queued now." }),
    longestWaitingSince: t.expose("longestWaitingSince", {
      type: "DateTime",
      nullable: true,
      description: "When the longest-waiting call started (count the wait up from here between pushes).",
    }),
    longestWaitSeconds: t.exposeInt("longestWaitSeconds", {
      nullable: true,
      description: "The longest wait now, as of `at`.",
    }),
    inProgress: t.exposeInt("inProgress", { description: "Calls answered and not ended (on hold included)." }),
    available: t.exposeInt("available", { description: "Members AVAILABLE." }),
    busy: t.exposeInt("busy", { description: "Members BUSY." }),
    away: t.exposeInt("away", { description: "Members AWAY." }),
    answeredToday: t.exposeInt("answeredToday", {
      description: "Inbound calls that started today (the inbox's time zone) and were answered.",
    }),
    missedToday: t.exposeInt("missedToday", { description: "… and rang out unanswered." }),
    abandonedToday: t.exposeInt("abandonedToday", { description: "… and whose caller hung up first." }),
  }),
});
