// Access control (R1.2), in one place. Agents see the inboxes they belong to and everything in
// them; admins see everything. Every query, node lookup, subscription and file download filters
// through these clauses, so a denied object is indistinguishable from a missing one.
import type { Prisma, Role } from "../generated/prisma/client.ts";

export interface Viewer {
  id: string;
  role: Role;
  /** Inbox ids the viewer may see; `null` means every inbox (admins). */
  inboxIds: string[] | null;
  /** The API token it was authenticated with. */
  tokenId?: string;
}

/**
 * A change of access, published on pub/sub (topic `access`, id `*`) to every API instance (issue 13).
 * Live operations started before it follow it at once (src/live-access.ts): a revoked token's
 * WebSockets close, a member's viewer is reloaded and events are checked against it.
 */
export type AccessNotice =
  | { type: "TOKEN_REVOKED"; tokenId: string; userId: string }
  | { type: "MEMBERSHIP_CHANGED"; userId: string };

export function isAdmin(viewer: Viewer): boolean {
  return viewer.role === "ADMIN";
}

export function canSeeInbox(viewer: Viewer, inboxId: string): boolean {
  return viewer.inboxIds === null || viewer.inboxIds.includes(inboxId);
}

/**
 * A live event the viewer may receive now: one of an inbox they see, or one of no inbox addressed
 * to them (an incoming call rings whoever RingCentral rings). Checked at delivery, against the
 * viewer as the latest access change left it.
 */
export function canSeeEvent(viewer: Viewer, event: { inboxIds: string[] }): boolean {
  const { inboxIds } = viewer;
  return inboxIds === null || event.inboxIds.length === 0 || event.inboxIds.some((id) => inboxIds.includes(id));
}

/**
 * Whether a user (an admin, or an agent with these inbox memberships) can see a conversation that
 * is in `conversationInboxIds`: who may be @mentioned in a comment on it.
 */
export function userCanSeeConversation(
  user: { role: Role; inboxIds: string[] },
  conversationInboxIds: string[],
): boolean {
  return user.role === "ADMIN" || conversationInboxIds.some((id) => user.inboxIds.includes(id));
}

export function visibleInboxes(viewer: Viewer): Prisma.InboxWhereInput {
  return viewer.inboxIds === null ? {} : { id: { in: viewer.inboxIds } };
}

export function visibleChannels(viewer: Viewer): Prisma.ChannelWhereInput {
  return viewer.inboxIds === null ? {} : { inboxId: { in: viewer.inboxIds } };
}

export function visibleConversations(viewer: Viewer): Prisma.ConversationWhereInput {
  return viewer.inboxIds === null ? {} : { inboxes: { some: { inboxId: { in: viewer.inboxIds } } } };
}

/**
 * The inboxes a conversation list or count may draw from: the SQL form of `visibleConversations`
 * (src/store/conversation-lists.ts takes a conversation only when it is in one of them), so a
 * filter never reaches past what the viewer sees. The viewer's inboxes, narrowed to `requested`
 * when given; null means every inbox (an admin not narrowing).
 */
export function listableInboxIds(viewer: Viewer, requested: string[] | null): string[] | null {
  const { inboxIds } = viewer;
  if (inboxIds === null) return requested;
  return requested === null ? inboxIds : requested.filter((id) => inboxIds.includes(id));
}

export function visibleCalls(viewer: Viewer): Prisma.CallWhereInput {
  return viewer.inboxIds === null ? {} : { conversation: visibleConversations(viewer) };
}

export function visibleMessages(viewer: Viewer): Prisma.MessageWhereInput {
  return viewer.inboxIds === null ? {} : { conversation: visibleConversations(viewer) };
}

export function visibleAttachments(viewer: Viewer): Prisma.AttachmentWhereInput {
  return viewer.inboxIds === null ? {} : { message: visibleMessages(viewer) };
}

export function visibleRecordings(viewer: Viewer): Prisma.RecordingWhereInput {
  return viewer.inboxIds === null ? {} : { call: visibleCalls(viewer) };
}

export function visibleComments(viewer: Viewer): Prisma.CommentWhereInput {
  return viewer.inboxIds === null ? {} : { conversation: visibleConversations(viewer) };
}

export function visibleActivities(viewer: Viewer): Prisma.ActivityWhereInput {
  return viewer.inboxIds === null ? {} : { conversation: visibleConversations(viewer) };
}

/**
 * Contacts (issue 13): an agent sees a contact of the shared address book (created by hand), or one
 * with at least one conversation the agent can see. A customer who only ever called an inbox the
 * agent is not in (an HR line) stays hidden — by `contacts`, `node`, contact mutations and sending
 * or calling by contact id alike. A conversation's own `contact` is seen with the conversation.
 */
export function visibleContacts(viewer: Viewer): Prisma.ContactWhereInput {
  return viewer.inboxIds === null
    ? {}
    : { OR: [{ source: "MANUAL" }, { conversations: { some: visibleConversations(viewer) } }] };
}

/** Rules of the viewer's inboxes, and those of every inbox. */
export function visibleRules(viewer: Viewer): Prisma.RuleWhereInput {
  return viewer.inboxIds === null
    ? {}
    : { OR: [{ inboxIds: { isEmpty: true } }, { inboxIds: { hasSome: viewer.inboxIds } }] };
}

/**
 * The inboxes analytics count for the viewer: those asked for (none asked: all) that the viewer
 * sees. `none` stands for figures of no inbox (a call on a number since removed), which only admins
 * see. Null: no restriction (an admin who asked for no inbox in particular).
 */
export function analyticsInboxScope(viewer: Viewer, requested: string[] | null, none: string): string[] | null {
  const asked = requested && requested.length > 0 ? requested : null;
  if (viewer.inboxIds === null) return asked;
  const visible = viewer.inboxIds;
  return (asked ?? visible).filter((id) => id !== none && visible.includes(id));
}
