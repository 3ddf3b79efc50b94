// Account data: the default seeded account and the REST routes that read it (account, extensions,
// phone numbers, authz profile). The seed reuses the ids and numbers of the real captures in
// ../shared/ringcentral/captures (account 809646016, "IVR Menu 1001" on +18003151571, ...), so a
// scenario can reproduce those captures field for field.

import type {
  Route,
  RouteModule,
  SimAccount,
  SimContext,
  SimExtension,
  SimPhoneNumber,
  SimRequest,
  SimResponse,
} from "./core.ts";
import { invalidParameter, notFound, SimHttpError } from "./core.ts";
import { pageOf } from "./paging.ts";

export const DEFAULT_ACCOUNT_ID = "809646016";

/** The default account: an admin, three agents with emails, an IVR menu, a call queue, numbers. */
export function defaultAccount(): SimAccount {
  const extensions: SimExtension[] = [
    {
      id: "809646016",
      extensionNumber: "11101",
      name: "TESTER Babji",
      email: "admin@switchboard.test",
      type: "User",
      status: "Enabled",
      admin: true,
    },
    {
      id: "979428016",
      extensionNumber: "11104",
      name: "Message Dispatcher",
      email: "dispatcher@switchboard.test",
      type: "User",
      status: "Enabled",
      admin: false,
    },
    {
      id: "62264425016",
      extensionNumber: "11102",
      name: "Alice Agent",
      email: "alice@switchboard.test",
      type: "User",
      status: "Enabled",
      admin: false,
    },
    {
      id: "62264426016",
      extensionNumber: "11103",
      name: "Bob Agent",
      email: "bob@switchboard.test",
      type: "User",
      status: "Enabled",
      admin: false,
    },
    {
      id: "62242421016",
      extensionNumber: "1001",
      name: "IVR Menu 1001",
      type: "IvrMenu",
      status: "Enabled",
      admin: false,
    },
    {
      id: "62242422016",
      extensionNumber: "2001",
      name: "Support",
      type: "Department",
      status: "Enabled",
      admin: false,
      members: ["979428016", "62264425016", "62264426016"],
    },
  ];
  const voice = ["CallerId"];
  const sms = ["CallerId", "SmsSender", "MmsSender", "InternationalSmsSender"];
  const phoneNumbers: SimPhoneNumber[] = [
    {
      id: "1001815016",
      phoneNumber: "+18003151571",
      label: "Main",
      usageType: "MainCompanyNumber",
      type: "VoiceFax",
      features: voice,
      extensionId: "62242421016",
    },
    {
      id: "1001816016",
      phoneNumber: "+19043014558",
      usageType: "DirectNumber",
      type: "VoiceFax",
      features: sms,
      extensionId: "809646016",
    },
    {
      id: "1001817016",
      phoneNumber: "+17203861294",
      usageType: "DirectNumber",
      type: "VoiceFax",
      features: sms,
      extensionId: "979428016",
    },
    {
      id: "1001818016",
      phoneNumber: "+16505550111",
      usageType: "DirectNumber",
      type: "VoiceFax",
      features: sms,
      extensionId: "62264425016",
    },
    {
      id: "1001819016",
      phoneNumber: "+16505550112",
      usageType: "DirectNumber",
      type: "VoiceFax",
      features: sms,
      extensionId: "62264426016",
    },
    {
      id: "1001820016",
      phoneNumber: "+16505550199",
      label: "Support line",
      usageType: "CompanyNumber",
      type: "VoiceFax",
      features: sms,
      extensionId: "62242422016",
    },
  ];
  return { id: DEFAULT_ACCOUNT_ID, mainNumber: "+18003151571", extensions, phoneNumbers };
}

// ---------------------------------------------------------------------------------------------
// Changing account data (control API)

export interface NewExtension {
  name: string;
  extensionNumber?: string;
  email?: string;
  type?: SimExtension["type"];
  admin?: boolean;
  members?: string[];
  status?: SimExtension["status"];
}

function nextExtensionNumber(account: SimAccount): string {
  const numbers = account.extensions
    .map((e) => Number(e.extensionNumber))
    .filter((n) => Number.isFinite(n) && n >= 11000 && n < 20000);
  return String(Math.max(11100, ...numbers) + 1);
}

export function addExtension(account: SimAccount, input: NewExtension, ctx: Pick<SimContext, "newId">): SimExtension {
  if (typeof input.name !== "string" || input.name.trim() === "") throw new SimHttpError(invalidParameter("name"));
  const type = input.type ?? "User";
  if (!["User", "IvrMenu", "Department"].includes(type)) throw new SimHttpError(invalidParameter("type"));
  const extensionNumber = input.extensionNumber ?? nextExtensionNumber(account);
  if (account.extensions.some((e) => e.extensionNumber === extensionNumber)) {
    throw new SimHttpError(
      invalidParameter("extensionNumber", `Extension number [${extensionNumber}] is already in use`),
    );
  }
  for (const member of input.members ?? []) {
    if (!account.extensions.some((e) => e.id === member)) throw new SimHttpError(notFound("members"));
  }
  const extension: SimExtension = {
    id: ctx.newId(),
    extensionNumber,
    name: input.name.trim(),
    type,
    status: input.status ?? "Enabled",
    admin: input.admin ?? false,
  };
  if (type === "User") extension.email = input.email ?? `${extensionNumber}@switchboard.test`;
  if (type === "Department") extension.members = input.members ?? [];
  account.extensions.push(extension);
  return extension;
}

export interface NewPhoneNumber {
  phoneNumber: string;
  extensionId?: string;
  usageType?: SimPhoneNumber["usageType"];
  type?: SimPhoneNumber["type"];
  features?: string[];
  label?: string;
}

export function addPhoneNumber(
  account: SimAccount,
  input: NewPhoneNumber,
  ctx: Pick<SimContext, "newId">,
): SimPhoneNumber {
  if (typeof input.phoneNumber !== "string" || !/^\+[1-9]\d{6,14}$/.test(input.phoneNumber)) {
    throw new SimHttpError(invalidParameter("phoneNumber", "Parameter [phoneNumber] must be an E.164 number"));
  }
  if (account.phoneNumbers.some((n) => n.phoneNumber === input.phoneNumber)) {
    throw new SimHttpError(invalidParameter("phoneNumber", `Phone number [${input.phoneNumber}] already exists`));
  }
  if (input.extensionId !== undefined && !account.extensions.some((e) => e.id === input.extensionId)) {
    throw new SimHttpError(notFound("extensionId"));
  }
  const number: SimPhoneNumber = {
    id: ctx.newId(),
    phoneNumber: input.phoneNumber,
    usageType: input.usageType ?? (input.extensionId ? "DirectNumber" : "CompanyNumber"),
    type: input.type ?? "VoiceFax",
    features: input.features ?? ["CallerId", "SmsSender", "MmsSender"],
  };
  if (input.extensionId !== undefined) number.extensionId = input.extensionId;
  if (input.label !== undefined) number.label = input.label;
  account.phoneNumbers.push(number);
  return number;
}

// ---------------------------------------------------------------------------------------------
// Lookups shared by handlers

export function accountOf(req: SimRequest, ctx: SimContext): SimAccount {
  const account = ctx.accounts.get(req.params.accountId ?? "");
  if (!account) throw new SimHttpError(notFound("accountId"));
  return account;
}

export function extensionOf(req: SimRequest, ctx: SimContext): SimExtension {
  const account = accountOf(req, ctx);
  const extension = account.extensions.find(
    (e) => e.id === req.params.extensionId || e.extensionNumber === req.params.extensionId,
  );
  if (!extension) throw new SimHttpError(notFound("extensionId"));
  return extension;
}

// ---------------------------------------------------------------------------------------------
// JSON views in RingCentral's shapes

function accountUri(ctx: SimContext, accountId: string): string {
  return `${ctx.baseUrl()}/restapi/v1.0/account/${accountId}`;
}

function extensionUri(ctx: SimContext, accountId: string, extensionId: string): string {
  return `${accountUri(ctx, accountId)}/extension/${extensionId}`;
}

function splitName(name: string): { firstName: string; lastName?: string } {
  const [firstName, ...rest] = name.split(" ");
  return rest.length ? { firstName: firstName!, lastName: rest.join(" ") } : { firstName: firstName! };
}

const REGIONAL_SETTINGS = {
  homeCountry: { id: "1", name: "United States", isoCode: "US", callingCode: "1" },
  timezone: { id: "58", name: "US/Pacific", description: "Pacific Time (US & Canada)", bias: "-480" },
  language: { id: "1033", name: "English (United States)", localeCode: "en-US" },
  timeFormat: "12h",
};

export function extensionJson(ctx: SimContext, account: SimAccount, extension: SimExtension) {
  const contact: Record<string, unknown> = { ...splitName(extension.name), company: "Switchboard Demo" };
  if (extension.email) contact.email = extension.email;
  const direct = account.phoneNumbers.find((n) => n.extensionId === extension.id && n.usageType === "DirectNumber");
  if (direct) contact.businessPhone = direct.phoneNumber;
  const json: Record<string, unknown> = {
    id: Number(extension.id),
    uri: extensionUri(ctx, account.id, extension.id),
    extensionNumber: extension.extensionNumber,
    name: extension.name,
    type: extension.type,
    status: extension.status,
    contact,
    account: { id: account.id, uri: accountUri(ctx, account.id) },
    permissions: { admin: { enabled: extension.admin }, internationalCalling: { enabled: false } },
    profileImage: { uri: `${extensionUri(ctx, account.id, extension.id)}/profile-image` },
    regionalSettings: REGIONAL_SETTINGS,
    setupWizardState: "Completed",
    hidden: false,
  };
  if (extension.type === "Department") json.callQueueInfo = { slaGoal: 80, slaThresholdSeconds: 30 };
  return json;
}

/** Extension-list records carry a subset of the extension info. */
function extensionListRecord(ctx: SimContext, account: SimAccount, extension: SimExtension) {
  const {
    account: _account,
    regionalSettings: _regional,
    setupWizardState: _wizard,
    ...record
  } = extensionJson(ctx, account, extension);
  return record;
}

function accountPhoneNumberJson(ctx: SimContext, account: SimAccount, number: SimPhoneNumber) {
  const json: Record<string, unknown> = {
    uri: `${accountUri(ctx, account.id)}/phone-number/${number.id}`,
    id: Number(number.id),
    country: { id: "1", name: "United States", isoCode: "US", callingCode: "1" },
    paymentType: number.phoneNumber.startsWith("+1800") ? "TollFree" : "Local",
    phoneNumber: number.phoneNumber,
    status: "Normal",
    type: number.type,
    usageType: number.usageType,
  };
  if (number.label) json.label = number.label;
  const extension = account.extensions.find((e) => e.id === number.extensionId);
  if (extension) {
    json.extension = {
      id: extension.id,
      uri: extensionUri(ctx, account.id, extension.id),
      extensionNumber: extension.extensionNumber,
    };
  }
  return json;
}

function extensionPhoneNumberJson(
  ctx: SimContext,
  account: SimAccount,
  number: SimPhoneNumber,
  extension: SimExtension,
) {
  const json: Record<string, unknown> = {
    ...accountPhoneNumberJson(ctx, account, number),
    features: number.features,
    extension: {
      id: Number(extension.id),
      uri: extensionUri(ctx, account.id, extension.id),
      extensionNumber: extension.extensionNumber,
      type: extension.type,
      name: extension.name,
    },
  };
  // The spec's extension-level view has no `primary`; RingCentral's live API adds it, but the
  // published contract is what the tests hold us to.
  return json;
}

/** Permissions the authz profile reports; admins get the account-administration set. */
const USER_PERMISSIONS = [
  "ReadCallLog",
  "ReadMessages",
  "SMS",
  "CallControl",
  "ReadPresence",
  "EditPresence",
  "ReadUserInfo",
];
const ADMIN_PERMISSIONS = [
  ...USER_PERMISSIONS,
  "AccountAdministration",
  "Users",
  "EditExtensions",
  "ReadCompanyCallLog",
  "Sites",
];

function authzProfileJson(ctx: SimContext, account: SimAccount, extension: SimExtension) {
  const base = extensionUri(ctx, account.id, extension.id);
  const permissionIds = extension.admin ? ADMIN_PERMISSIONS : USER_PERMISSIONS;
  return {
    uri: `${base}/authz-profile`,
    permissions: permissionIds.map((id) => ({
      permission: {
        uri: `${accountUri(ctx, account.id)}/permission/${id}`,
        id,
        siteCompatible: "Compatible",
        readOnly: false,
        assignable: true,
      },
      effectiveRole: {
        uri: `${accountUri(ctx, account.id)}/user-role/${extension.admin ? "1" : "3"}`,
        id: extension.admin ? "1" : "3",
      },
      scopes: extension.admin ? ["Account"] : ["Self"],
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Routes

function getAccount(req: SimRequest, ctx: SimContext): SimResponse {
  const account = accountOf(req, ctx);
  const operator = account.extensions.find((e) => e.admin) ?? account.extensions[0];
  const json: Record<string, unknown> = {
    id: Number(account.id),
    uri: accountUri(ctx, account.id),
    mainNumber: account.mainNumber,
    status: "Confirmed",
    setupWizardState: "Completed",
    serviceInfo: {
      uri: `${accountUri(ctx, account.id)}/service-info`,
      brand: { id: "1210", name: "RingCentral", homeCountry: { id: "1", uri: "" } },
    },
    regionalSettings: REGIONAL_SETTINGS,
    federated: false,
  };
  if (operator) {
    json.operator = {
      uri: extensionUri(ctx, account.id, operator.id),
      id: Number(operator.id),
      extensionNumber: operator.extensionNumber,
    };
  }
  return { status: 200, json };
}

function listExtensions(req: SimRequest, ctx: SimContext): SimResponse {
  const account = accountOf(req, ctx);
  const types = req.query.getAll("type");
  const statuses = req.query.getAll("status");
  const matching = account.extensions.filter(
    (e) => (types.length === 0 || types.includes(e.type)) && (statuses.length === 0 || statuses.includes(e.status)),
  );
  return {
    status: 200,
    json: pageOf(
      matching.map((e) => extensionListRecord(ctx, account, e)),
      req,
      ctx,
    ),
  };
}

function getExtension(req: SimRequest, ctx: SimContext): SimResponse {
  return { status: 200, json: extensionJson(ctx, accountOf(req, ctx), extensionOf(req, ctx)) };
}

function listAccountPhoneNumbers(req: SimRequest, ctx: SimContext): SimResponse {
  const account = accountOf(req, ctx);
  const usageTypes = req.query.getAll("usageType");
  const matching = account.phoneNumbers.filter((n) => usageTypes.length === 0 || usageTypes.includes(n.usageType));
  return {
    status: 200,
    json: pageOf(
      matching.map((n) => accountPhoneNumberJson(ctx, account, n)),
      req,
      ctx,
    ),
  };
}

function getAccountPhoneNumber(req: SimRequest, ctx: SimContext): SimResponse {
  const account = accountOf(req, ctx);
  const number = account.phoneNumbers.find((n) => n.id === req.params.phoneNumberId);
  if (!number) throw new SimHttpError(notFound("phoneNumberId"));
  return { status: 200, json: accountPhoneNumberJson(ctx, account, number) };
}

function listExtensionPhoneNumbers(req: SimRequest, ctx: SimContext): SimResponse {
  const account = accountOf(req, ctx);
  const extension = extensionOf(req, ctx);
  const usageTypes = req.query.getAll("usageType");
  const matching = account.phoneNumbers.filter(
    (n) => n.extensionId === extension.id && (usageTypes.length === 0 || usageTypes.includes(n.usageType)),
  );
  return {
    status: 200,
    json: pageOf(
      matching.map((n) => extensionPhoneNumberJson(ctx, account, n, extension)),
      req,
      ctx,
    ),
  };
}

function getAuthzProfile(req: SimRequest, ctx: SimContext): SimResponse {
  return { status: 200, json: authzProfileJson(ctx, accountOf(req, ctx), extensionOf(req, ctx)) };
}

const ACCOUNT = "/restapi/v1.0/account/:accountId";

const routes: Route[] = [
  { method: "GET", path: ACCOUNT, handler: getAccount, throttlingGroup: "Light" },
  { method: "GET", path: `${ACCOUNT}/extension`, handler: listExtensions, throttlingGroup: "Medium" },
  { method: "GET", path: `${ACCOUNT}/extension/:extensionId`, handler: getExtension, throttlingGroup: "Light" },
  { method: "GET", path: `${ACCOUNT}/phone-number`, handler: listAccountPhoneNumbers, throttlingGroup: "Heavy" },
  {
    method: "GET",
    path: `${ACCOUNT}/phone-number/:phoneNumberId`,
    handler: getAccountPhoneNumber,
    throttlingGroup: "Heavy",
  },
  {
    method: "GET",
    path: `${ACCOUNT}/extension/:extensionId/phone-number`,
    handler: listExtensionPhoneNumbers,
    throttlingGroup: "Light",
  },
  {
    method: "GET",
    path: `${ACCOUNT}/extension/:extensionId/authz-profile`,
    handler: getAuthzProfile,
    throttlingGroup: "Medium",
  },
];

export const accountModule: RouteModule = { name: "account", routes };
