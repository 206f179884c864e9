// Query strings and small parsing helpers (no DOM).

export type QueryValue = string | number | boolean | null | undefined;

/** `?a=1&b=x` from the defined, non-empty values of `params` (keys sorted: stable URLs). */
export function buildQuery(params: Record<string, QueryValue> | undefined): string {
  if (!params) return "";
  const parts: string[] = [];
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    if (value === undefined || value === null) continue;
    const text = typeof value === "string" ? value.trim() : String(value);
    if (text === "") continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

/** Joins a base URL and a path with exactly one slash between them. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** An integer from form input, or undefined when empty; NaN for anything else. */
export function parseIntField(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  return /^-?\d{1,20}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** Epoch seconds from a `<input type="datetime-local">` value (local time), or undefined. */
export function epochFromLocalInput(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** The magic-link code in a location hash (`#login=CODE`), or null. */
export function loginCodeFromHash(hash: string): string | null {
  const match = /^#?login=([A-Za-z0-9_\-.~]{16,128})$/.exec(hash);
  return match ? match[1] : null;
}

/** A bot token as @BotFather prints it: `<digits>:<35+ url-safe chars>`. */
export function botTokenProblem(token: string): string | null {
  const trimmed = token.trim();
  if (trimmed === "") return "Paste the token @BotFather gave you.";
  if (/\s/.test(trimmed)) return "A token has no spaces.";
  if (!/^\d{5,20}:[A-Za-z0-9_-]{30,}$/.test(trimmed)) {
    return "That does not look like a bot token (123456789:AA…).";
  }
  return null;
}

/** The `?a=b` part of a hash route (`#/events?bot_id=1`) as a plain object. */
export function hashQuery(hash: string): Record<string, string> {
  const index = hash.indexOf("?");
  if (index < 0) return {};
  return Object.fromEntries(new URLSearchParams(hash.slice(index + 1)));
}

/** Every event type the pipeline records (chalicelib: enforcement, commands, live). */
export const EVENT_TYPES: readonly string[] = [
  "join_muted",
  "join_verified",
  "message_blocked",
  "message_verified",
  "verified",
  "verify_failed",
  "unmuted_on_channel_join",
  "restricted_on_channel_leave",
  "membership_unknown",
  "group_protected",
  "group_unprotected",
  "settings_changed",
  "bot_status_changed",
  "sender_chat_blocked",
];
