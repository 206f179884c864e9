// End-to-end scenarios of the dashboard in headless Debian Chromium (playwright-core, no
// browser download) against a running local stack with the Telegram sandbox.
//
//   node tests/e2e/dashboard/run.mjs --ready .local/run/ready.json [--artifacts DIR]
//
// ready.json is what `python -m infra.local` writes once it is up (URLs + demo world).
// Prints one line per scenario and exits 1 if any failed. Screenshots of every page go to
// the artifacts directory (tests/e2e/dashboard/artifacts by default).
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, rmSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const require = createRequire(join(root, "dashboard", "package.json"));
const { chromium } = require("playwright-core");

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const ready = JSON.parse(readFileSync(args.ready ?? join(root, ".local/run/ready.json"), "utf8"));
const artifacts = resolve(args.artifacts ?? join(here, "artifacts"));
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const DASH = ready.urls.dashboard;
const SANDBOX = ready.urls.sandbox;
const demo = ready.demo;
const XSS_TITLE = "<img src=x onerror=alert(1)>";
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 15000);

rmSync(artifacts, { recursive: true, force: true });
mkdirSync(artifacts, { recursive: true });

// ----- sandbox control API ---------------------------------------------------------------

async function sandbox(action, body) {
  const response = await fetch(`${SANDBOX}/_sandbox/${action}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!data.ok) throw new Error(`sandbox ${action}: ${data.error}`);
  return data.result;
}
async function sandboxGet(path) {
  const data = await (await fetch(`${SANDBOX}/_sandbox/${path}`)).json();
  if (!data.ok) throw new Error(`sandbox ${path}: ${data.error}`);
  return data.result;
}
async function until(what, check, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// ----- the run -----------------------------------------------------------------------------

const results = [];
const problems = { csp: [], pageErrors: [], dialogs: [], tokenInUrl: [] };
let session = null;

const userDataDir = mkdtempSync(join(tmpdir(), "nezuko-e2e-chromium-"));
// A fresh profile per run (launchPersistentContext is how Playwright takes --user-data-dir).
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 860 },
  acceptDownloads: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
// Telegram's widget script is the only third-party request; the machine is offline.
await context.route(/telegram\.org|t\.me/, (route) => route.abort());
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(TIMEOUT);
page.on("console", (msg) => {
  if (/Content.Security.Policy/i.test(msg.text()) && !/telegram\.org/.test(msg.text())) problems.csp.push(msg.text());
});
page.on("pageerror", (error) => problems.pageErrors.push(String(error)));
page.on("dialog", (dialog) => {
  problems.dialogs.push(dialog.message());
  void dialog.dismiss();
});
page.on("request", (request) => {
  if (session && request.url().includes(session)) problems.tokenInUrl.push(request.url());
});

async function shot(name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}
async function go(hash, heading) {
  await page.goto(`${DASH}/${hash}`);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}
async function scenario(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true, seconds: (Date.now() - started) / 1000 });
    console.log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  } catch (error) {
    results.push({ name, ok: false, error: String(error?.stack ?? error) });
    console.log(`FAIL ${name}: ${error?.message ?? error}`);
    await shot(`FAILED-${name.replace(/\W+/g, "-")}`).catch(() => undefined);
  }
}
const feedItem = (type) => page.locator(`[data-testid="feed"] [data-type="${type}"]`);
const statValue = (id) => page.getByTestId(`${id}-value`);

let bob, secondBot;

await scenario("an unsigned visitor is sent to the sign-in page", async () => {
  await page.goto(`${DASH}/`);
  await page.waitForURL(/login\.html/);
  await page.getByRole("heading", { name: "Sign in to Nezuko" }).waitFor();
  await page.getByText("Send /login.").waitFor();
  await shot("01-sign-in");
});

await scenario("the operator signs in with the magic link the login bot sends", async () => {
  await sandbox("send_message_as", { chat_id: demo.bot_id, user_id: demo.operator_id, text: "/login" });
  const link = await until("the /login answer", async () => {
    const messages = await sandboxGet(`messages?chat_id=${demo.operator_id}`);
    for (const m of messages.reverse()) {
      const text = [m.text ?? "", ...(m.entities ?? []).map((e) => e.url ?? ""), JSON.stringify(m.reply_markup ?? {})].join(" ");
      const found = /(https?:\/\/[^\s"<>]+#login=[A-Za-z0-9_\-.~]+)/.exec(text);
      if (found) return found[1];
    }
    return null;
  });
  const code = link.split("#login=")[1];
  await page.goto(`${DASH}/#login=${code}`);
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
  assert(!page.url().includes(code), "the one-time code stayed in the address bar");
  session = await page.evaluate(() => JSON.parse(localStorage.getItem("nezuko.session")).token);
  assert(session, "no session stored");
  await page.locator('[data-testid="live-badge"][data-state="open"]').waitFor();
});

await scenario("protecting a group through Telegram shows up live and moves the counters", async () => {
  await statValue("stat-groups").waitFor();
  const before = Number(await statValue("stat-groups").textContent());
  await sandbox("send_message_as", { chat_id: demo.group_id, user_id: demo.operator_id, text: `/protect @${demo.channel_username}` });
  await feedItem("group_protected").first().waitFor();
  await until("the protected-groups card to move", async () => Number(await statValue("stat-groups").textContent()) === before + 1);
});

await scenario("a join is muted and appears live in the feed", async () => {
  bob = await sandbox("create_user", { first_name: "Bob", username: "bob_e2e" });
  const mutedBefore = Number(await statValue("stat-muted").textContent());
  await sandbox("join", { chat_id: demo.group_id, user_id: bob.id });
  await feedItem("join_muted").first().waitFor();
  await until("the muted card to move", async () => Number(await statValue("stat-muted").textContent()) === mutedBefore + 1);
  const member = await sandboxGet(`member?chat_id=${demo.group_id}&user_id=${bob.id}`);
  assert(member.status === "restricted", `Bob should be muted, is ${member.status}`);
  await shot("02-overview");
});

await scenario("a bot is added by token, with validation errors shown first", async () => {
  secondBot = await sandbox("create_bot", { username: "nezuko_second_bot", first_name: "Second" });
  await go("#/bots", "Bots");
  const token = page.getByTestId("bot-token");
  await token.fill("not a token");
  await page.getByRole("button", { name: "Add bot" }).click();
  await page.getByTestId("bot-error").getByText("no spaces").waitFor();
  await token.fill(`${secondBot.id}:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
  await page.getByRole("button", { name: "Add bot" }).click();
  await until("the server's refusal", async () => (await page.getByTestId("bot-error").textContent())?.length > 0);
  await token.fill(secondBot.token);
  await page.getByRole("button", { name: "Add bot" }).click();
  await page.getByTestId("bots-table").getByText("@nezuko_second_bot").waitFor();
  await shot("03-bots");
  await page.getByTestId("bots-table").getByText("@nezuko_second_bot").click();
  await page.getByTestId("webhook-health").waitFor();
  await shot("04-bot-detail");
});

await scenario("a chat titled like HTML shows literally and runs nothing", async () => {
  const chat = await sandbox("create_chat", { type: "supergroup", title: XSS_TITLE, creator_id: demo.operator_id });
  await sandbox("add_member", {
    chat_id: chat.id,
    user_id: demo.bot_id,
    status: "administrator",
    rights: { can_restrict_members: true, can_delete_messages: true, can_invite_users: true, can_manage_chat: true },
  });
  await sandbox("send_message_as", { chat_id: chat.id, user_id: demo.operator_id, text: `/protect @${demo.channel_username}` });
  await go("#/groups", "Groups");
  const link = page.getByTestId("groups-table").getByText(XSS_TITLE, { exact: true });
  await until("the group in the table", async () => {
    if (await link.count()) return true;
    await page.reload();
    await page.getByTestId("groups-table").waitFor();
    return false;
  });
  assert((await page.locator('img[src="x"]').count()) === 0, "an <img> element was created from the title");
  await page.getByTestId("group-search").fill("onerror");
  await page.getByTestId("groups-table").getByText(XSS_TITLE, { exact: true }).waitFor();
  await page.getByTestId("group-search").fill("");
  await shot("05-groups");
  await link.click();
  await page.getByRole("heading", { level: 1, name: XSS_TITLE }).waitFor();
  assert((await page.locator('img[src="x"]').count()) === 0, "an <img> element was created on the detail page");
  assert(problems.dialogs.length === 0, `a dialog opened: ${problems.dialogs}`);
});

await scenario("a settings change takes effect: the next join notice uses the new text", async () => {
  const template = `E2E notice ${Date.now()}: {mention}, please join {channels}`;
  await go(`#/groups/${demo.bot_id}/${demo.group_id}`, "Nezuko Demo Group");
  await page.locator('textarea[name="notice_template"]').fill(template);
  await page.getByTestId("save-settings").click();
  await page.getByText("Settings saved.", { exact: false }).waitFor();
  await shot("06-group-detail");
  // The webhook caches a group's settings for up to 30 s per container (container.py
  // groups_cache), so a change from the dashboard reaches Telegram within that time: a new
  // member joins every few seconds until a notice carries the new text.
  const marker = template.split(":")[0];
  let texts = [];
  await until(
    "a join notice with the new text",
    async () => {
      const joiner = await sandbox("create_user", { first_name: `Carol${Date.now() % 100000}` });
      await sandbox("join", { chat_id: demo.group_id, user_id: joiner.id });
      await new Promise((r) => setTimeout(r, 3000));
      texts = (await sandboxGet(`messages?chat_id=${demo.group_id}`)).map((m) => m.text ?? "");
      return texts.some((t) => t.startsWith(marker));
    },
    45000,
  ).catch((error) => {
    throw new Error(`${error.message}; the group's last messages: ${JSON.stringify(texts.slice(-3))}`);
  });
  await page.reload();
  await page.locator('textarea[name="notice_template"]').waitFor();
  assert((await page.locator('textarea[name="notice_template"]').inputValue()) === template, "the saved template did not persist");
});

await scenario("analytics draws every chart and switches period", async () => {
  await go("#/analytics", "Analytics");
  await page.getByTestId("chart-verifications").locator("canvas").waitFor();
  await page.getByRole("radio", { name: "7d" }).click();
  await until("the 7d period", async () => (await page.getByRole("radio", { name: "7d" }).getAttribute("aria-checked")) === "true");
  await page.getByTestId("chart-verifications").locator("canvas").waitFor();
  await page.waitForTimeout(300);
  await shot("07-analytics");
});

await scenario("channels lists the required channel with its groups", async () => {
  await go("#/channels", "Channels");
  await page.getByTestId("channels-table").getByText("Nezuko News").waitFor();
  await page.getByTestId("channels-table").getByText(XSS_TITLE, { exact: true }).waitFor();
  await shot("08-channels");
});

await scenario("the events explorer filters and exports CSV", async () => {
  await go("#/events", "Events");
  await page.getByTestId("events-table").waitFor();
  await page.locator('select[name="type"]').selectOption("join_muted");
  await page.getByRole("button", { name: "Apply" }).click();
  await until("only join_muted rows", async () => {
    const types = await page.locator('[data-testid="events-table"] tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.type));
    return types.length > 0 && types.every((t) => t === "join_muted");
  });
  await shot("09-events");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
  const path = join(artifacts, download.suggestedFilename());
  await download.saveAs(path);
  const csv = readFileSync(path, "utf8");
  const lines = csv.trim().split(/\r?\n/);
  assert(lines.length >= 2, `the CSV has no rows: ${csv.slice(0, 200)}`);
  assert(/type/.test(lines[0]), `no header line: ${lines[0]}`);
  assert(lines.slice(1).every((l) => l.includes("join_muted")), "the CSV ignored the filter");
  assert(!csv.includes(session), "the session token is in the CSV");
});

await scenario("the audit log shows the dashboard's settings change", async () => {
  await go("#/audit", "Audit log");
  await page.locator('[data-testid="events-table"] tr[data-type="settings_changed"]').first().waitFor();
  await shot("10-audit");
});

await scenario("removing a bot asks for confirmation", async () => {
  await go(`#/bots/${secondBot.id}`, "@nezuko_second_bot");
  await page.getByTestId("remove-bot").click();
  await page.getByRole("dialog").getByText("Remove this bot?").waitFor();
  await shot("11-confirm-remove");
  await page.getByRole("button", { name: "Cancel" }).click();
  assert((await page.getByTestId("bot-status").textContent()) === "active", "cancel changed the bot");
  await page.getByTestId("remove-bot").click();
  await page.getByTestId("confirm").click();
  await until("the bot to be removed", async () => (await page.getByTestId("bot-status").textContent()) === "removed");
});

await scenario("settings switch the theme and show the account", async () => {
  await go("#/settings", "Settings");
  await page.getByTestId("account").getByText(String(demo.operator_id)).waitFor();
  await page.getByTestId("theme-dark").check();
  await until("the dark theme", () => page.evaluate(() => document.documentElement.dataset.theme === "dark"));
  await shot("12-settings-dark");
  await page.getByTestId("theme-light").check();
});

await scenario("the overview works at phone width and by keyboard", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await go("#/overview", "Overview");
  await page.getByTestId("stat-groups").waitFor();
  await shot("13-overview-phone");
  await page.getByRole("button", { name: "Menu" }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Groups" }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: "Groups" }).waitFor();
  await shot("14-groups-phone");
  await page.setViewportSize({ width: 1280, height: 860 });
});

await scenario("signing out ends the session", async () => {
  await go("#/settings", "Settings");
  await page.getByTestId("sign-out").click();
  await page.waitForURL(/login\.html/);
  const stored = await page.evaluate(() => localStorage.getItem("nezuko.session"));
  assert(stored === null, "the session is still stored");
  const response = await fetch(`${ready.urls.rest}/api/me`, { headers: { Authorization: `Bearer ${session}` } });
  assert(response.status === 401, `the old session still works (${response.status})`);
});

await scenario("no CSP violation, page error or token in a URL during the run", async () => {
  assert(problems.csp.length === 0, `CSP violations: ${problems.csp.join(" | ")}`);
  assert(problems.pageErrors.length === 0, `page errors: ${problems.pageErrors.join(" | ")}`);
  assert(problems.tokenInUrl.length === 0, `token in URL: ${problems.tokenInUrl.join(" | ")}`);
  assert(problems.dialogs.length === 0, `dialogs: ${problems.dialogs.join(" | ")}`);
});

await context.close();
rmSync(userDataDir, { recursive: true, force: true });
writeFileSync(join(artifacts, "results.json"), JSON.stringify(results, null, 2) + "\n");
const failed = results.filter((r) => !r.ok);
console.log(`${results.length - failed.length}/${results.length} scenarios passed; screenshots in ${artifacts}`);
process.exit(failed.length ? 1 : 0);
