import { prepareTemplateDatabase } from "./database.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const name = `switchboard_template_${process.pid}_${Date.now()}`;
  process.env.SWITCHBOARD_TEST_TEMPLATE = name;
  return prepareTemplateDatabase(name);
}
