// What the RingCentral account holds, read through a client: extensions, phone numbers (with SMS
// capability) and the logged-in extension's permissions.
import type { ExtensionInfo } from "../../domain/calls.ts";
import type { NumberInfo } from "../../domain/connections.ts";
import { toE164 } from "../../domain/phone-numbers.ts";

/** The client's REST call (RingCentralClient.request): rate limited, retried, typed errors. */
export interface RestRequester {
  request<T>(
    method: "GET",
    path: string,
    body?: undefined,
    options?: { query?: Record<string, string | number> },
  ): Promise<T>;
}

export interface ExtensionSummary extends ExtensionInfo {
  extensionNumber: string;
  name: string;
  email: string | null;
}

/** An extension with the account it belongs to. */
export interface ExtensionDetails extends ExtensionSummary {
  accountId: string;
}

interface RawPhoneNumber {
  id: string | number;
  phoneNumber?: string;
  label?: string;
  usageType?: string;
  features?: string[];
  extension?: { id?: string | number };
}

interface RawExtension {
  id: string | number;
  extensionNumber?: string;
  name?: string;
  type?: string;
  contact?: { email?: string };
}

interface ListPage<T> {
  records?: T[];
  paging?: { page?: number; totalPages?: number };
  navigation?: { nextPage?: unknown };
}

function toExtensionSummary(raw: RawExtension): ExtensionSummary {
  return {
    id: String(raw.id),
    extensionNumber: raw.extensionNumber ?? "",
    name: raw.name ?? "",
    email: raw.contact?.email?.toLowerCase() ?? null,
    type: raw.type ?? "Unknown",
  };
}

/** Every page of a RingCentral list. */
export async function listAll<T>(rest: RestRequester, path: string, query: Record<string, string> = {}): Promise<T[]> {
  const records: T[] = [];
  for (let page = 1; ; page++) {
    const json = await rest.request<ListPage<T>>("GET", path, undefined, { query: { ...query, page, perPage: 1000 } });
    records.push(...(json.records ?? []));
    const totalPages = json.paging?.totalPages;
    const lastPage = totalPages !== undefined && page >= totalPages;
    if (!json.navigation?.nextPage || lastPage || (json.records ?? []).length === 0) return records;
  }
}

export async function extensionDetails(rest: RestRequester, extensionId: string): Promise<ExtensionDetails> {
  const path = `/restapi/v1.0/account/~/extension/${extensionId}`;
  const json = await rest.request<RawExtension & { account?: { id?: unknown } }>("GET", path);
  return { ...toExtensionSummary(json), accountId: String(json.account?.id ?? "") };
}

/** The logged-in extension's permissions; `isAdmin` when it holds account administration. */
export async function authzProfile(rest: RestRequester): Promise<{ isAdmin: boolean; permissions: string[] }> {
  const path = "/restapi/v1.0/account/~/extension/~/authz-profile";
  const json = await rest.request<{ permissions?: { permission?: { id?: string } }[] }>("GET", path);
  const permissions = (json.permissions ?? [])
    .map((p) => p.permission?.id)
    .filter((id): id is string => typeof id === "string");
  return { isAdmin: permissions.includes("AccountAdministration"), permissions };
}

export async function listExtensions(rest: RestRequester): Promise<ExtensionSummary[]> {
  const records = await listAll<RawExtension>(rest, "/restapi/v1.0/account/~/extension");
  return records.map(toExtensionSummary);
}

/**
 * The account's numbers: the account-level list (every number, with usage type and owner) plus
 * the logged-in extension's own list, and SMS capability from each owning extension's list
 * (only extension-level records carry `features`).
 */
export async function listPhoneNumbers(rest: RestRequester): Promise<NumberInfo[]> {
  const accountNumbers = await listAll<RawPhoneNumber>(rest, "/restapi/v1.0/account/~/phone-number");
  const ownNumbers = await listAll<RawPhoneNumber>(rest, "/restapi/v1.0/account/~/extension/~/phone-number");
  const owners = new Set(
    accountNumbers
      .map((n) => n.extension?.id)
      .filter((id) => id !== undefined && id !== null)
      .map(String),
  );
  const features = new Map<string, string[]>();
  for (const number of ownNumbers) features.set(String(number.id), number.features ?? []);
  for (const extensionId of owners) {
    const path = `/restapi/v1.0/account/~/extension/${extensionId}/phone-number`;
    for (const number of await listAll<RawPhoneNumber>(rest, path)) {
      features.set(String(number.id), number.features ?? []);
    }
  }
  const byId = new Map<string, NumberInfo>();
  for (const raw of [...accountNumbers, ...ownNumbers]) {
    const phoneNumber = typeof raw.phoneNumber === "string" ? toE164(raw.phoneNumber) : null;
    if (!phoneNumber || byId.has(String(raw.id))) continue;
    byId.set(String(raw.id), {
      id: String(raw.id),
      phoneNumber,
      label: raw.label ?? null,
      usageType: raw.usageType ?? "Unknown",
      canSendSms: (features.get(String(raw.id)) ?? []).includes("SmsSender"),
      extensionId: raw.extension?.id != null ? String(raw.extension.id) : null,
    });
  }
  return [...byId.values()];
}
