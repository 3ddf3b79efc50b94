// Mutation payloads: `{ <field>: <object> }` wrappers, so a payload can grow fields without
// breaking clients.
import { builder } from "./builder.ts";
import { UserRef, ApiTokenRef } from "./users.ts";
import { InboxRef } from "./inboxes.ts";
import { ConversationRef, CommentRef, TagRef } from "./conversations.ts";
import { ContactRef } from "./contacts.ts";
import { CallRef } from "./calls.ts";
import type { Call, Conversation } from "../generated/prisma/client.ts";

type Row = { id: string };

function payloadOf<
  Ref extends
    | typeof UserRef
    | typeof InboxRef
    | typeof ConversationRef
    | typeof CommentRef
    | typeof TagRef
    | typeof ContactRef,
>(name: string, field: string, ref: Ref, description: string) {
  return builder.objectRef<Record<string, Row>>(name).implement({
    description,
    fields: (t) => ({
      [field]: t.field({
        type: ref as never,
        description: `The ${field} after the change.`,
        resolve: (payload) => payload[field] as never,
      }),
    }),
  });
}

export const UserPayload = payloadOf("UserPayload", "user", UserRef, "A user after a change.");
export const InboxPayload = payloadOf("InboxPayload", "inbox", InboxRef, "An inbox after a change.");
export const ConversationPayload = payloadOf(
  "ConversationPayload",
  "conversation",
  ConversationRef,
  "A conversation after a change.",
);
export const CommentPayload = payloadOf("CommentPayload", "comment", CommentRef, "The comment written.");
export const TagPayload = payloadOf("TagPayload", "tag", TagRef, "A tag after a change.");
export const ContactPayload = payloadOf("ContactPayload", "contact", ContactRef, "A contact after a change.");

export const ApiTokenPayload = builder.objectRef<{ apiToken: Row }>("ApiTokenPayload").implement({
  description: "A token after a change.",
  fields: (t) => ({
    apiToken: t.field({ type: ApiTokenRef as never, description: "The token.", resolve: (p) => p.apiToken as never }),
  }),
});

export const CreateApiTokenPayload = builder
  .objectRef<{ apiToken: Row; token: string }>("CreateApiTokenPayload")
  .implement({
    description: "A new token. `token` is shown only here, once: store it now.",
    fields: (t) => ({
      token: t.exposeString("token", { description: "The bearer token value (shown once)." }),
      apiToken: t.field({
        type: ApiTokenRef as never,
        description: "The token's record.",
        resolve: (p) => p.apiToken as never,
      }),
    }),
  });

export const SplitConversationPayload = builder
  .objectRef<{ conversation: Conversation; newConversation: Conversation }>("SplitConversationPayload")
  .implement({
    description: "A conversation after a split, and the conversation split off it.",
    fields: (t) => ({
      conversation: t.field({
        type: ConversationRef,
        description: "The conversation that was split: what came before the message.",
        resolve: (p) => p.conversation,
      }),
      newConversation: t.field({
        type: ConversationRef,
        description: "The new conversation: the message and every later one.",
        resolve: (p) => p.newConversation,
      }),
    }),
  });

export const MoveCallPayload = builder
  .objectRef<{ call: Call; fromConversation: Conversation; toConversation: Conversation }>("MoveCallPayload")
  .implement({
    description: "A call after it moved, and the two conversations.",
    fields: (t) => ({
      call: t.field({ type: CallRef, description: "The call.", resolve: (p) => p.call }),
      fromConversation: t.field({
        type: ConversationRef,
        description: "The conversation the call left.",
        resolve: (p) => p.fromConversation,
      }),
      toConversation: t.field({
        type: ConversationRef,
        description: "The conversation the call is in now.",
        resolve: (p) => p.toConversation,
      }),
    }),
  });
