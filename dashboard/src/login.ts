// The sign-in page: the Telegram Login Widget (this page's CSP allows telegram.org) and
// the /login magic link. Plain DOM, text only.
import { boot, showMessage } from "./boot";
import { ApiError } from "./api/client";
import type { Services } from "./services";
import { loginCodeFromHash } from "./lib/query";
import { readTheme } from "./lib/theme";
import { applyTheme } from "./views/theme";
import "./styles/app.css";

const WIDGET_SRC = "https://telegram.org/js/telegram-widget.js?22";
const WIDGET_FIELDS = ["id", "first_name", "last_name", "username", "photo_url", "auth_date", "hash"];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node: HTMLElementTagNameMap[K] = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function finish(services: Services, session: Awaited<ReturnType<Services["api"]["signInMagic"]>>): void {
  services.signIn(session);
  location.replace("./#/overview");
}

async function main(root: HTMLElement): Promise<void> {
  applyTheme(readTheme(localStorage));
  let services: Services;
  try {
    services = await boot();
  } catch (error) {
    showMessage(root, "The dashboard could not start", (error as Error).message);
    return;
  }
  const status = el("p", { className: "notice", role: "status" });
  status.hidden = true;
  const fail = (error: unknown) => {
    status.hidden = false;
    status.className = "notice notice-error";
    status.textContent = error instanceof ApiError ? error.message : "Sign-in failed. Try again.";
  };

  // Back from the widget (data-auth-url): the signed fields arrive in the query string.
  const query = new URLSearchParams(location.search);
  if (query.has("hash") && query.has("id")) {
    history.replaceState(null, "", location.pathname);
    const fields: Record<string, string> = {};
    for (const key of WIDGET_FIELDS) if (query.has(key)) fields[key] = query.get(key)!;
    try {
      return finish(services, await services.api.signInWidget(fields));
    } catch (error) {
      fail(error);
    }
  }
  const code = loginCodeFromHash(location.hash);
  if (code) {
    history.replaceState(null, "", location.pathname);
    try {
      return finish(services, await services.api.signInMagic(code));
    } catch (error) {
      fail(error);
    }
  }
  if (services.session.get()) {
    location.replace("./#/overview");
    return;
  }

  const bot = services.config.loginBotUsername;
  const widget = el("div", { className: "widget" });
  const codeInput = el("input", { type: "text", name: "code", autocomplete: "off", spellcheck: false, required: true });
  codeInput.setAttribute("aria-describedby", "code-help");
  const form = el(
    "form",
    { className: "form" },
    el("label", { className: "field" }, el("span", {}, "Sign-in link or code"), codeInput),
    el("p", { id: "code-help", className: "muted" }, "Paste the link the bot sent you (or only the part after #login=)."),
    el("div", { className: "form-actions" }, el("button", { type: "submit", className: "btn btn-primary" }, "Sign in")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = codeInput.value.trim();
    const pasted = loginCodeFromHash(value.includes("#") ? value.slice(value.indexOf("#")) : `#login=${value}`);
    if (!pasted) return fail(new ApiError(400, "invalid_input", "That is not a sign-in link or code."));
    try {
      finish(services, await services.api.signInMagic(pasted));
    } catch (error) {
      fail(error);
    }
  });
  const steps = el(
    "ol",
    {},
    el("li", {}, "Open ", bot ? `@${bot}` : "the login bot", " in Telegram."),
    el("li", {}, "Send /login."),
    el("li", {}, "Open the link it answers with (valid 5 minutes, once)."),
  );
  if (bot) {
    const link = el("a", { href: `https://t.me/${encodeURIComponent(bot)}`, rel: "noopener noreferrer", target: "_blank" }, `@${bot}`);
    steps.firstChild!.replaceWith(el("li", {}, "Open ", link, " in Telegram."));
  }
  root.replaceChildren(
    el(
      "main",
      { className: "signin card", id: "main" },
      el("h1", {}, "Sign in to Nezuko"),
      status,
      el("section", {}, el("h2", {}, "With Telegram"), widget),
      el("section", {}, el("h2", {}, "With a link from the bot"), steps, form),
    ),
  );
  if (bot) loadWidget(widget, bot);
  else widget.append(el("p", { className: "muted" }, "The Telegram widget is not configured for this deployment."));
}

function loadWidget(container: HTMLElement, bot: string): void {
  const fallback = el("p", { className: "muted" }, "Loading the Telegram button…");
  container.append(fallback);
  const script = document.createElement("script");
  script.async = true;
  script.src = WIDGET_SRC;
  // Redirect mode: the widget sends the signed fields to this page; no callback code runs
  // inside Telegram's script (its callback mode needs eval, which the CSP forbids).
  script.dataset.telegramLogin = bot;
  script.dataset.size = "large";
  script.dataset.authUrl = new URL("login.html", location.href).href;
  script.dataset.requestAccess = "write";
  const timer = setTimeout(() => (fallback.textContent = "The Telegram button could not load; use the link from the bot below."), 8000);
  script.addEventListener("load", () => (clearTimeout(timer), fallback.remove()));
  script.addEventListener("error", () => (clearTimeout(timer), (fallback.textContent = "The Telegram button could not load; use the link from the bot below.")));
  container.append(script);
}

void main(document.getElementById("app")!);
