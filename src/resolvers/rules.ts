import { builder } from "../schema/builder.ts";
import { viewerOf } from "../schema/viewer.ts";
import { InboxRef } from "../schema/inboxes.ts";
import { visibleRules } from "../domain/access.ts";

builder.queryFields((t) => ({
  rules: t.prismaField({
    type: ["Rule"],
    description: "Automation rules that apply to inboxes you can see (and to every inbox), by name.",
    args: {
      inboxId: t.arg.globalID({
        for: InboxRef,
        required: false,
        description: "Only the rules of this inbox (and global ones).",
      }),
    },
    resolve: (query, _root, args, ctx) => {
      const viewer = viewerOf(ctx);
      return ctx.prisma.rule.findMany({
        ...query,
        where: {
          AND: [visibleRules(viewer), args.inboxId ? { OR: [{ inboxId: null }, { inboxId: args.inboxId.id }] } : {}],
        },
        orderBy: [{ name: "asc" }, { id: "asc" }],
      });
    },
  }),
}));
