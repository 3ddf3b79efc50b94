// Phone numbers normalised to E.164 (R5.1), so "(650) 555-0100", "650.555.0100" and "+16505550100"
// are the same person. National formats are read in the default region: the channel number's
// country when there is one, otherwise DEFAULT_REGION.
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import { InvalidInputError } from "./errors.ts";

export const DEFAULT_REGION: CountryCode = "US";

/** The E.164 form of `input`, or null when it is not a valid phone number. */
export function toE164(input: string, defaultRegion: CountryCode = DEFAULT_REGION): string | null {
  // `extract: false`: the whole input must be a phone number ("call 650 555 0100 now" is not one).
  const parsed = parsePhoneNumberFromString(input.trim(), { defaultCountry: defaultRegion, extract: false });
  return parsed?.isValid() ? parsed.number : null;
}

/** Like `toE164` but an invalid number is a BAD_USER_INPUT error naming `field`. */
export function requireE164(input: string, field: string, defaultRegion: CountryCode = DEFAULT_REGION): string {
  const e164 = toE164(input, defaultRegion);
  if (!e164) throw new InvalidInputError(`"${input}" is not a valid phone number`, field);
  return e164;
}

/** The region of an E.164 number, for reading numbers written in that country's national format. */
export function regionOf(e164: string): CountryCode {
  return parsePhoneNumberFromString(e164)?.country ?? DEFAULT_REGION;
}
