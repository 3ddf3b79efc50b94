// Phone numbers normalised to E.164 (R5.1), so "(650) 555-0100", "650.555.0100" and "+16505550100"
// are the same person. National formats are read in the region of the channel the number came
// through or goes out of (its number's country), and only where no channel applies (contacts and
// their search, connecting a number) in the installation's region (DEFAULT_REGION in config).
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import { InvalidInputError } from "./errors.ts";

/** One installation, one region: set once at start from the configuration (src/app.ts). */
let installationRegion: CountryCode = "US";

export function useInstallationRegion(region: CountryCode): void {
  installationRegion = region;
}

/** Parsing with full metadata is costly (BENCHMARKS.md), and call ingest reads the same few numbers over and
 * over (every party of every notification): the latest results are kept, oldest evicted first. */
const parsedNumbers = new Map<string, string | null>();
const PARSED_NUMBERS_KEPT = 10_000;

/** The E.164 form of `input`, or null when it is not a valid phone number. */
export function toE164(input: string, defaultRegion: CountryCode = installationRegion): string | null {
  const key = `${defaultRegion}:${input}`;
  const known = parsedNumbers.get(key);
  if (known !== undefined) return known;
  // `extract: false`: the whole input must be a phone number ("call 650 555 0100 now" is not one).
  const parsed = parsePhoneNumberFromString(input.trim(), { defaultCountry: defaultRegion, extract: false });
  const e164 = parsed?.isValid() ? parsed.number : null;
  if (parsedNumbers.size >= PARSED_NUMBERS_KEPT) parsedNumbers.delete(parsedNumbers.keys().next().value!);
  parsedNumbers.set(key, e164);
  return e164;
}

/** Like `toE164` but an invalid number is a BAD_USER_INPUT error naming `field`. */
export function requireE164(input: string, field: string, defaultRegion: CountryCode = installationRegion): string {
  const e164 = toE164(input, defaultRegion);
  if (!e164) throw new InvalidInputError(`"${input}" is not a valid phone number`, field);
  return e164;
}

const regions = new Map<string, CountryCode | undefined>();

/** The region of an E.164 number (a channel's), for reading numbers written in that country's
 * national format; the installation's region when the number has none. */
export function regionOf(e164: string): CountryCode {
  if (!regions.has(e164)) {
    if (regions.size >= PARSED_NUMBERS_KEPT) regions.delete(regions.keys().next().value!);
    regions.set(e164, parsePhoneNumberFromString(e164)?.country);
  }
  return regions.get(e164) ?? installationRegion;
}
