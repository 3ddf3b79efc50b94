// Builds the schema: object types (one file per domain), then root fields (src/resolvers).
import { builder } from "./builder.ts";
import "./errors.ts";
import "./users.ts";
import "./inboxes.ts";
import "./conversations.ts";
import "./calls.ts";
import "./messages.ts";
import "./contacts.ts";
import "./events.ts";
import "./sms.ts";
import "./ringcentral.ts";
import "./call-control.ts";
import "./rules.ts";
import "./analytics.ts";
import "../resolvers/users.ts";
import "../resolvers/inboxes.ts";
import "../resolvers/conversations.ts";
import "../resolvers/contacts.ts";
import "../resolvers/messages.ts";
import "../resolvers/ringcentral.ts";
import "../resolvers/calls.ts";
import "../resolvers/call-control.ts";
import "../resolvers/rules.ts";
import "../resolvers/analytics.ts";

export const schema = builder.toSchema({ sortSchema: true });

// Subscription fields that deliver their stream's events as they are (EVENT_IS_RESULT,
// src/resolvers/event-streams.ts) resolve with a bare identity: Pothos' wrapper would decode their
// arguments again for every event and subscriber to then ignore them (measured: BENCHMARKS.md).
for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {})) {
  if (field.extensions?.eventIsResult === true) field.resolve = (event: unknown) => event;
}
