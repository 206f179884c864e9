// The live activity feed and the overview counters that live events move (pure functions).
import type { EventItem, LiveEventMessage, Overview } from "../api/types";

export const FEED_LIMIT = 50;

/** Mirrors chalicelib/analytics/keys.py VERIFICATION_OUTCOMES. */
export const VERIFICATION_OUTCOMES: Readonly<Record<string, string>> = {
  join_verified: "passed",
  message_verified: "passed",
  verified: "passed",
  join_muted: "muted",
  message_blocked: "blocked",
  verify_failed: "failed",
  membership_unknown: "unknown",
};

/** A websocket LiveEvent in the events API's shape, so feed and explorer share one type. */
export function fromLive(message: LiveEventMessage): EventItem {
  const e = message.event;
  return {
    event_id: e.id,
    bot_id: e.bot_id,
    type: e.type,
    ts: e.ts,
    chat_id: e.chat_id,
    user_id: e.user_id,
    actor_id: e.actor_id,
    reason: e.reason ?? "",
    channels: e.channels ?? [],
    latency_ms: e.latency_ms,
    cache_hit: e.cache_hit,
    detail: e.detail ?? {},
  };
}

/** `feed` with `incoming` added: newest first, no duplicates, at most `limit`. */
export function addToFeed(feed: readonly EventItem[], incoming: readonly EventItem[], limit = FEED_LIMIT): EventItem[] {
  if (incoming.length === 0) return feed as EventItem[];
  const seen = new Set<string>();
  const merged: EventItem[] = [];
  for (const item of [...incoming, ...feed]) {
    if (seen.has(item.event_id)) continue;
    seen.add(item.event_id);
    merged.push(item);
  }
  merged.sort((a, b) => b.ts - a.ts);
  return merged.slice(0, limit);
}

/** The newest event time in `feed` (seconds), for catching up after a gap; null when empty. */
export function newestTs(feed: readonly EventItem[]): number | null {
  return feed.reduce<number | null>((max, e) => (max === null || e.ts > max ? e.ts : max), null);
}

/** The overview after one new event, so the cards move without a reload. */
export function applyToOverview(overview: Overview, event: EventItem): Overview {
  const next = { ...overview };
  const outcome = VERIFICATION_OUTCOMES[event.type];
  if (outcome) {
    const before = next.verifications_today ?? 0;
    const passedBefore = (next.pass_rate ?? 0) * before;
    next.verifications_today = before + 1;
    next.pass_rate = (passedBefore + (outcome === "passed" ? 1 : 0)) / (before + 1);
  }
  const mutedNow = event.detail?.muted_now === true;
  if (event.type === "join_muted" || event.type === "restricted_on_channel_leave" || (event.type === "message_blocked" && mutedNow)) {
    next.muted_now += 1;
  } else if (event.type === "verified" || event.type === "unmuted_on_channel_join") {
    next.muted_now = Math.max(0, next.muted_now - 1);
  }
  return next;
}

/** Event types that change which groups and channels are protected: counting them locally
 * goes wrong (a group protected twice, channels added), so the overview is fetched again. */
const GROUP_CHANGES = new Set([
  "group_protected",
  "group_unprotected",
  "group_enabled",
  "group_disabled",
  "group_migrated",
  "channel_added",
  "channel_removed",
]);

export function changesGroups(event: EventItem): boolean {
  return GROUP_CHANGES.has(event.type);
}
