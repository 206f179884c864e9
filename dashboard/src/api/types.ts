// Shapes of the operator API (chalicelib/dashboard_api/schemas.py; GET /api/openapi.json).

export interface Session {
  token: string;
  operator_id: number;
  expires_at: number;
}

export interface Me {
  operator_id: number;
  session_expires_at: number;
  bots: number;
  login_bot_username: string;
  websocket_url: string;
}

export interface Ticket {
  ticket: string;
  expires_in: number;
  websocket_url: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type BotStatus = "active" | "paused" | "removed";

export interface Bot {
  bot_id: number;
  username: string;
  first_name: string;
  status: BotStatus | string;
  created_at: number;
  updated_at: number;
}

export interface WebhookHealth {
  reachable: boolean;
  error: string | null;
  url_matches: boolean | null;
  allowed_updates_complete: boolean | null;
  missing_updates: string[];
  pending_update_count: number | null;
  last_error_date: number | null;
  last_error_message: string | null;
}

export interface BotDetail extends Bot {
  webhook: WebhookHealth;
  groups: number;
}

export interface Channel {
  chat_id: number;
  title: string;
  username: string | null;
  invite_link: string | null;
}

export interface Group {
  bot_id: number;
  chat_id: number;
  title: string;
  username: string | null;
  enabled: boolean;
  required_channels: Channel[];
  updated_at: number;
}

export interface GroupSettings {
  notice_ttl: number;
  unknown_policy: "allow" | "hold";
  sender_chat_policy: "delete" | "ban" | "allow";
  allow_bots: boolean;
  kick_after_minutes: number | null;
  language: string | null;
  notice_template: string | null;
  whitelist: number[];
  [other: string]: unknown;
}

export interface GroupDetail extends Group {
  settings: GroupSettings;
  ledger: { muted_now: number };
  protected_by: number | null;
  created_at: number;
}

export interface LinkedGroup {
  chat_id: number;
  title: string;
  enabled: boolean;
}

export interface ChannelItem extends Channel {
  bot_id: number;
  groups: LinkedGroup[];
}

export interface EventItem {
  event_id: string;
  bot_id: number;
  type: string;
  ts: number;
  chat_id: number | null;
  user_id: number | null;
  actor_id: number | null;
  reason: string;
  channels: number[];
  latency_ms: number | null;
  cache_hit: boolean | null;
  telegram_calls?: string[];
  detail: Record<string, unknown>;
}

export interface Overview {
  protected_groups: number;
  channels: number;
  verifications_today: number | null;
  pass_rate: number | null;
  muted_now: number;
  uptime_percent: number | null;
}

export type Period = "24h" | "7d" | "30d" | "90d";
export const PERIODS: readonly Period[] = ["24h", "7d", "30d", "90d"];

export interface Analytics {
  period: Period;
  buckets: string[];
  verifications: Record<string, number[]>;
  hourly_activity: number[];
  latency: { p50?: (number | null)[]; p95?: (number | null)[]; histogram?: Record<string, number> };
  cache_hit_rate: (number | null)[];
  telegram_calls: Record<string, number>;
  telegram_errors: Record<string, number>;
  top_groups: { bot_id: number; chat_id: number; count: number }[];
  [other: string]: unknown;
}

export interface UptimeWindow {
  percent: number | null;
  up_minutes: number;
  monitored_minutes: number;
}

export interface Incident {
  start: number;
  end: number | null;
  minutes: number;
  reason: string;
  ongoing: boolean;
}

export interface Uptime {
  bot_id: number;
  as_of?: number;
  windows: Record<string, UptimeWindow | number | null>;
  incidents: Incident[];
}

export interface EventFilters {
  bot_id?: number | string;
  chat_id?: number | string;
  user_id?: number | string;
  type?: string;
  since?: number;
  until?: number;
  order?: "newest" | "oldest";
  limit?: number;
  cursor?: string;
}

/** The websocket's LiveEvent message, schema version 1 (chalicelib/live/fanout.py). */
export interface LiveEventMessage {
  v: 1;
  kind: "event";
  event: {
    id: string;
    type: string;
    ts: number;
    bot_id: number;
    chat_id: number | null;
    user_id: number | null;
    actor_id: number | null;
    reason: string;
    channels: number[];
    latency_ms: number | null;
    cache_hit: boolean | null;
    detail: Record<string, unknown>;
  };
}
