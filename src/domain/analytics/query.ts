// The analytics API's answer (README "Analytics"): totals, a series of buckets and breakdowns per
// inbox, channel and agent, for voice, SMS and CSAT — sums, thresholds and percentiles from the
// rollups' sums and value lists, only over the inboxes the viewer may see.
import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import { analyticsInboxScope, type Viewer } from "../access.ts";
import { InvalidInputError } from "../errors.ts";
import {
  bucketStarts,
  figuresPerAgent,
  figuresPerBucket,
  MEASURES,
  NONE,
  VALUE_LISTS,
  type AnalyticsRange,
  type Granularity,
  type RollupRow,
  type ValueList,
} from "../../store/analytics.ts";
import { summarize, type ValueSummary } from "./percentiles.ts";

export type { Granularity } from "../../store/analytics.ts";

export interface AnalyticsRequest {
  from: Date;
  to: Date;
  timeZone?: string | null;
  granularity: Granularity;
  inboxIds?: string[] | null;
  channelIds?: string[] | null;
  agentIds?: string[] | null;
  serviceLevelSeconds?: number | null;
  abandonAfterSeconds?: number | null;
}

export interface DurationFigures {
  count: number;
  averageSeconds: number | null;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface VoiceFigures {
  inbound: number;
  outbound: number;
  answered: number;
  missed: number;
  abandoned: number;
  voicemail: number;
  answerRate: number | null;
  answeredWithinServiceLevel: number;
  serviceLevel: number | null;
  abandonedAfterThreshold: number;
  abandonRate: number | null;
  wait: DurationFigures;
  talk: DurationFigures;
  hold: DurationFigures;
  transfers: number;
  agentRung: number;
  agentAnswered: number;
  agentMissed: number;
  agentAnsweredElsewhere: number;
}

export interface SmsFigures {
  conversationsOpened: number;
  conversationsClosed: number;
  inbound: number;
  outbound: number;
  mms: number;
  deliveryFailures: number;
  firstResponse: DurationFigures;
  resolution: DurationFigures;
}

export interface CsatFigures {
  responses: number;
  averageScore: number | null;
  /** Responses with score 1, 2, 3, 4, 5. */
  distribution: number[];
}

export interface Figures {
  voice: VoiceFigures;
  sms: SmsFigures;
  csat: CsatFigures;
}

export interface AnalyticsResult {
  from: Date;
  to: Date;
  timeZone: string;
  granularity: Granularity;
  serviceLevelSeconds: number;
  abandonAfterSeconds: number;
  totals: Figures;
  series: { start: Date; end: Date; figures: Figures }[];
  /** Keys are database ids; null: calls, messages… of no inbox (channel, agent). */
  byInbox: { inboxId: string | null; figures: Figures }[];
  byChannel: { channelId: string | null; figures: Figures }[];
  byAgent: { agentId: string | null; figures: Figures }[];
}

const HOUR_MS = 3_600_000;
const MAX_DAYS = 400;
const MAX_HOURLY_DAYS = 31;
export const DEFAULT_SERVICE_LEVEL_SECONDS = 20;
export const DEFAULT_ABANDON_AFTER_SECONDS = 5;

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The UTC offset of a time zone at an instant, in minutes (throws RangeError for an unknown zone). */
function offsetMinutes(timeZone: string, at: Date): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" });
    offsetFormats.set(timeZone, format);
  }
  const name = format.formatToParts(at).find((p) => p.type === "timeZoneName")!.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return match ? (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

/** The zone's offsets at every hour of the range are whole hours, so UTC hours fall in one local bucket each. */
function hasWholeHourOffsets(timeZone: string, from: Date, to: Date): boolean {
  for (let t = from.getTime(); t < to.getTime(); t += 6 * HOUR_MS) {
    if (offsetMinutes(timeZone, new Date(t)) % 60 !== 0) return false;
  }
  return offsetMinutes(timeZone, to) % 60 === 0;
}

function validTimeZone(timeZone: string, from: Date, to: Date): string {
  try {
    offsetMinutes(timeZone, from);
  } catch {
    throw new InvalidInputError(`Unknown time zone ${timeZone} (an IANA name, e.g. Europe/Berlin)`, "filter.timeZone");
  }
  if (!hasWholeHourOffsets(timeZone, from, to)) {
    throw new InvalidInputError(
      `${timeZone} is not a whole number of hours from UTC in this range: buckets are built from whole UTC hours`,
      "filter.timeZone",
    );
  }
  return timeZone;
}

function seconds(value: number | null | undefined, fallback: number, field: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0 || n > 86_400) throw new InvalidInputError("Seconds from 0 to 86400", field);
  return n;
}

function validRange(request: AnalyticsRequest): { from: Date; to: Date } {
  const { from, to, granularity } = request;
  if (from.getTime() % HOUR_MS !== 0) throw new InvalidInputError("Must be a whole hour", "filter.from");
  if (to.getTime() % HOUR_MS !== 0) throw new InvalidInputError("Must be a whole hour", "filter.to");
  if (to <= from) throw new InvalidInputError("Must be after from", "filter.to");
  const days = (to.getTime() - from.getTime()) / (24 * HOUR_MS);
  const limit = granularity === "HOUR" ? MAX_HOURLY_DAYS : MAX_DAYS;
  if (days > limit) throw new InvalidInputError(`At most ${limit} days at ${granularity} granularity`, "filter.to");
  return { from, to };
}

function duration(count: number, sum: number, median: number | null, p90: number | null): DurationFigures {
  return {
    count,
    averageSeconds: count > 0 ? sum / count : null,
    medianSeconds: count > 0 ? median : null,
    p90Seconds: count > 0 ? p90 : null,
  };
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/** The figures of one group from its sums and the thresholds and percentiles of its values. */
function figures(v: Record<string, number | null>): Figures {
  const n = (key: string) => Number(v[key] ?? 0);
  const p = (key: string) => (v[key] === null || v[key] === undefined ? null : Number(v[key]));
  const ended = n("answered") + n("missed") + n("abandoned") + n("voicemail");
  // Calls abandoned before the threshold are left out of the service level and abandon rate.
  const offered = n("answered") + n("missed") + n("voicemail") + n("abandonedAfterThreshold");
  const distribution = [1, 2, 3, 4, 5].map((s) => n(`csat${s}`));
  return {
    voice: {
      inbound: n("callsInbound"),
      outbound: n("callsOutbound"),
      answered: n("answered"),
      missed: n("missed"),
      abandoned: n("abandoned"),
      voicemail: n("voicemail"),
      answerRate: ratio(n("answered"), ended),
      answeredWithinServiceLevel: n("answeredWithinServiceLevel"),
      serviceLevel: ratio(n("answeredWithinServiceLevel"), offered),
      abandonedAfterThreshold: n("abandonedAfterThreshold"),
      abandonRate: ratio(n("abandonedAfterThreshold"), offered),
      wait: duration(n("waitCount"), n("waitSum"), p("waitMedian"), p("waitP90")),
      talk: duration(n("talkCount"), n("talkSum"), p("talkMedian"), p("talkP90")),
      hold: duration(n("holdCount"), n("holdSum"), p("holdMedian"), p("holdP90")),
      transfers: n("transfers"),
      agentRung: n("agentOffered"),
      agentAnswered: n("agentAnswered"),
      agentMissed: n("agentMissed"),
      agentAnsweredElsewhere: n("agentAnsweredElsewhere"),
    },
    sms: {
      conversationsOpened: n("conversationsOpened"),
      conversationsClosed: n("conversationsClosed"),
      inbound: n("messagesInbound"),
      outbound: n("messagesOutbound"),
      mms: n("mms"),
      deliveryFailures: n("deliveryFailures"),
      firstResponse: duration(
        n("firstResponseCount"),
        n("firstResponseSum"),
        p("firstResponseMedian"),
        p("firstResponseP90"),
      ),
      resolution: duration(n("resolutionCount"), n("resolutionSum"), p("resolutionMedian"), p("resolutionP90")),
    },
    csat: {
      responses: n("csatCount"),
      averageScore: ratio(n("csatSum"), n("csatCount")),
      distribution,
    },
  };
}

/** What the rows counted for one group (the total, a bucket, an inbox, a channel, an agent) add up to. */
class Tally {
  readonly sums = new Float64Array(MEASURES.length);
  readonly lists: Int32Array[][] = VALUE_LISTS.map(() => []);

  add(row: RollupRow): void {
    for (let i = 0; i < MEASURES.length; i++) this.sums[i]! += row.sums[i]!;
    for (let i = 0; i < VALUE_LISTS.length; i++) if (row.lists[i]!.length) this.lists[i]!.push(row.lists[i]!);
  }

  /** One list's order statistics. */
  summary(list: ValueList, limit = 0): ValueSummary {
    return summarize(this.lists[VALUE_LISTS.indexOf(list)]!, limit);
  }
}

function valuesOf(tally: Tally, thresholds: Thresholds): Record<string, number | null> {
  const values: Record<string, number | null> = {};
  for (const [i, m] of MEASURES.entries()) values[m] = tally.sums[i]!;
  for (const [name, list] of [
    ["wait", "answeredWaits"],
    ["talk", "talks"],
    ["hold", "holds"],
    ["firstResponse", "firstResponses"],
    ["resolution", "resolutions"],
  ] as const) {
    const { median, p90, atMost } = tally.summary(list, thresholds.serviceLevelSeconds);
    values[`${name}Median`] = median;
    values[`${name}P90`] = p90;
    if (list === "answeredWaits") values.answeredWithinServiceLevel = atMost;
  }
  const abandoned = tally.summary("abandonedWaits", thresholds.abandonAfterSeconds - 1);
  values.abandonedAfterThreshold = abandoned.count - abandoned.atMost;
  return values;
}

interface Thresholds {
  serviceLevelSeconds: number;
  abandonAfterSeconds: number;
}

/** Tallies per key, created as rows arrive. */
class Tallies {
  readonly byKey = new Map<string, Tally>();

  of(key: string): Tally {
    const tally = this.byKey.get(key) ?? new Tally();
    this.byKey.set(key, tally);
    return tally;
  }

  /** Each key's figures, in key order (NONE: null). */
  figures(thresholds: Thresholds): { key: string | null; figures: Figures }[] {
    return [...this.byKey.keys()].sort().map((key) => ({
      key: key === NONE ? null : key,
      figures: figures(valuesOf(this.byKey.get(key)!, thresholds)),
    }));
  }
}

const DAY_MS = 24 * HOUR_MS;

/** The whole UTC days inside [from, to) (an empty span when there is none). */
function wholeDays(from: Date, to: Date): { from: Date; to: Date } {
  const first = Math.ceil(from.getTime() / DAY_MS) * DAY_MS;
  const end = Math.floor(to.getTime() / DAY_MS) * DAY_MS;
  return first < end ? { from: new Date(first), to: new Date(end) } : { from: to, to };
}

/**
 * The rows the figures add up from: per bucket, inbox and channel (totals, series, per inbox and
 * channel) and per agent.
 */
async function rowsOf(db: PrismaClient | Prisma.TransactionClient, range: AnalyticsRange) {
  const [perBucket, perAgent, starts] = await Promise.all([
    figuresPerBucket(db, range),
    figuresPerAgent(db, range, wholeDays(range.from, range.to)),
    bucketStarts(db, range),
  ]);
  return { perBucket, perAgent, starts };
}

/** The analytics the viewer asked for, over the inboxes they may see. */
export async function analytics(
  prisma: PrismaClient | Prisma.TransactionClient,
  viewer: Viewer,
  request: AnalyticsRequest,
): Promise<AnalyticsResult> {
  const { from, to } = validRange(request);
  const timeZone = validTimeZone(request.timeZone ?? "UTC", from, to);
  const thresholds = {
    serviceLevelSeconds: seconds(request.serviceLevelSeconds, DEFAULT_SERVICE_LEVEL_SECONDS, "serviceLevelSeconds"),
    abandonAfterSeconds: seconds(request.abandonAfterSeconds, DEFAULT_ABANDON_AFTER_SECONDS, "abandonAfterSeconds"),
  };
  const range: AnalyticsRange = {
    from,
    to,
    timeZone,
    granularity: request.granularity,
    inboxIds: analyticsInboxScope(viewer, request.inboxIds ?? null, NONE),
    channelIds: request.channelIds?.length ? request.channelIds : null,
    agentIds: request.agentIds?.length ? request.agentIds : null,
  };
  const { perBucket, perAgent, starts } = await rowsOf(prisma, range);
  const total = new Tally();
  const buckets = new Tallies();
  const inboxes = new Tallies();
  const channels = new Tallies();
  const agents = new Tallies();
  for (const row of perBucket) {
    total.add(row);
    buckets.of(row.bucket!.toISOString()).add(row);
    inboxes.of(row.inboxId!).add(row);
    channels.of(row.channelId!).add(row);
  }
  for (const row of perAgent) agents.of(row.agentId!).add(row);
  return {
    from,
    to,
    timeZone,
    granularity: request.granularity,
    ...thresholds,
    totals: figures(valuesOf(total, thresholds)),
    series: starts.map((start, i) => ({
      start,
      end: starts[i + 1] ?? to,
      figures: figures(valuesOf(buckets.of(start.toISOString()), thresholds)),
    })),
    byInbox: inboxes.figures(thresholds).map(({ key, figures }) => ({ inboxId: key, figures })),
    byChannel: channels.figures(thresholds).map(({ key, figures }) => ({ channelId: key, figures })),
    byAgent: agents.figures(thresholds).map(({ key, figures }) => ({ agentId: key, figures })),
  };
}
