// An inbox's business hours (R6.3 "inside or outside business hours"): a weekly schedule in the
// inbox's time zone, minus holiday dates. An inbox with no schedule is always open.
import { z } from "zod";
import { InvalidInputError } from "../errors.ts";

const TIME = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

export const businessHoursSchema = z
  .array(
    z
      .object({
        /** ISO weekday: Monday 1 … Sunday 7. */
        day: z.number().int().min(1).max(7),
        start: z.string().regex(TIME, "HH:MM"),
        end: z.string().regex(TIME, "HH:MM"),
      })
      .refine((p) => p.start < p.end, { message: "start must be before end" }),
  )
  .max(50);

export type WeeklySchedule = z.infer<typeof businessHoursSchema>;

export interface BusinessHours {
  timeZone: string;
  /** null: always open. */
  schedule: WeeklySchedule | null;
  /** YYYY-MM-DD in the time zone. */
  holidays: string[];
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** The local date, weekday and time of `at` in `timeZone`. */
function localTime(at: Date, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    day: WEEKDAYS[parts.weekday!]!,
    time: `${parts.hour}:${parts.minute}`,
  };
}

export function isOpen(hours: BusinessHours, at: Date): boolean {
  if (!hours.schedule) return true;
  const local = localTime(at, hours.timeZone);
  if (hours.holidays.includes(local.date)) return false;
  return hours.schedule.some((p) => p.day === local.day && p.start <= local.time && local.time < p.end);
}

export function validTimeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return timeZone;
  } catch {
    throw new InvalidInputError(`Unknown time zone "${timeZone}"`, "timeZone");
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Validates a schedule and holidays as an admin sets them. */
export function parseBusinessHours(input: { timeZone: string; schedule: unknown[] | null; holidays: string[] }) {
  const timeZone = validTimeZone(input.timeZone);
  let schedule: WeeklySchedule | null = null;
  if (input.schedule) {
    const parsed = businessHoursSchema.safeParse(input.schedule);
    if (!parsed.success) {
      const field = ["schedule", ...parsed.error.issues[0]!.path.map(String)].join(".");
      throw new InvalidInputError(`${field}: ${parsed.error.issues[0]!.message}`, field);
    }
    schedule = parsed.data;
  }
  const badHoliday = input.holidays.findIndex((d) => !DATE.test(d) || Number.isNaN(Date.parse(d)));
  if (badHoliday >= 0) throw new InvalidInputError("A holiday is a YYYY-MM-DD date", `holidays.${badHoliday}`);
  return { timeZone, schedule, holidays: [...new Set(input.holidays)] };
}
