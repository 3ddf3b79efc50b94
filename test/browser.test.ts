// GraphiQL in headless Chromium, as the README's quick start has a newcomer use it: served by
// `switchboard start` with no network beyond localhost, the Authorization header set in GraphiQL's
// headers editor, `viewer` run, a subscription opened and an event caused over HTTP arriving in the
// result pane. Needs Debian's `chromium` (.ci/run installs it; CHROMIUM_PATH to use another).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql, startSwitchboardServer } from "./support/switchboard-process.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const LOCAL = /^(https?|wss?):\/\/(127\.0\.0\.1|localhost)(:\d+)?\//;

/** Replaces an editor's text. insertText types no keys, so Monaco adds no closing brackets. */
async function setEditorText(page: Page, editor: string, text: string) {
  await page.locator(`${editor} .monaco-editor`).click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

/** The result pane's text (Monaco renders spaces as no-break spaces). */
async function resultText(page: Page): Promise<string> {
  return ((await page.locator("section.result-window").textContent()) ?? "").replaceAll("\u00a0", " ");
}

async function waitForResult(page: Page, expected: string) {
  await page.waitForFunction(
    (text) => document.querySelector("section.result-window")?.textContent?.replaceAll("\u00a0", " ").includes(text),
    expected,
    { timeout: 60_000 },
  );
}

describe("GraphiQL in a browser", { timeout: 300_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-browser-"));
  let server: Awaited<ReturnType<typeof startSwitchboardServer>>;
  let browser: Browser;
  let token: string;
  const offline: string[] = [];

  beforeAll(async () => {
    server = await startSwitchboardServer("start", { DATA_DIR: dataDir });
    token = (await server.waitFor(/bootstrap API token, shown only this once:\n(sb_\S+)/))[1]!;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });
  afterAll(async () => {
    await browser?.close();
    server?.child.kill("SIGTERM");
    await server?.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs viewer and shows a subscription's live events, with nothing loaded from beyond localhost", async () => {
    const viewer = await graphql<{ viewer: { id: string } }>(server.url, "{ viewer { id } }", token);
    const inbox = await graphql<{ createInbox: { inbox: { id: string } } }>(
      server.url,
      `mutation { createInbox(name: "Front desk") { ... on InboxPayload { inbox { id } } } }`,
      token,
    );
    const inboxId = inbox.data!.createInbox.inbox.id;
    const addMember = "mutation($i: ID!, $u: ID!) { addInboxMember(inboxId: $i, userId: $u) { __typename } }";
    await graphql(server.url, addMember, token, { i: inboxId, u: viewer.data!.viewer.id });
    const setStatus = (status: string) =>
      graphql(server.url, `mutation { setStatus(status: ${status}) { __typename } }`, token);
    await setStatus("AWAY");

    const context = await browser.newContext();
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (LOCAL.test(url)) return route.continue();
      offline.push(url);
      return route.abort("internetdisconnected");
    });
    const page = await context.newPage();
    page.on("websocket", (socket) => {
      if (!LOCAL.test(socket.url())) offline.push(socket.url());
    });
    await page.goto(`${server.url}/graphql`);
    await page.locator(".graphiql-query-editor .monaco-editor").waitFor({ timeout: 120_000 });

    // As the README says: the header in GraphiQL's headers editor.
    await page.getByRole("button", { name: "Headers", exact: true }).click();
    const headersEditor = ".graphiql-editor-tool .graphiql-editor:not(.hidden)";
    await setEditorText(page, headersEditor, `{"Authorization": "Bearer ${token}"}`);

    await setEditorText(page, ".graphiql-query-editor", "{ viewer { email role } }");
    await page.getByRole("button", { name: /^Execute query/ }).click();
    await waitForResult(page, '"email": "admin@example.com"');
    expect(await resultText(page)).toContain('"role": "ADMIN"');

    // The replayed change shows the subscription is live; the next one arrives as it happens.
    const subscription = `subscription { agentStatusChanged(inboxId: "${inboxId}", after: "0") { status } }`;
    await setEditorText(page, ".graphiql-query-editor", subscription);
    await page.getByRole("button", { name: /^Execute query/ }).click();
    await waitForResult(page, '"status": "AWAY"');
    await setStatus("BUSY");
    await waitForResult(page, '"status": "BUSY"');

    expect(offline).toEqual([]);
    await context.close();
  });
});
