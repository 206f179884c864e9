// One method per operator API route (docs/operator-api.md).
import type { ApiClient } from "./client";
import type {
  Analytics,
  Bot,
  BotDetail,
  ChannelItem,
  EventFilters,
  EventItem,
  Group,
  GroupDetail,
  GroupSettings,
  Me,
  Overview,
  Page,
  Period,
  Session,
  Ticket,
  Uptime,
} from "./types";

const enc = encodeURIComponent;

export interface GroupFilters {
  bot_id?: number;
  enabled?: boolean;
  q?: string;
  limit?: number;
  cursor?: string;
}

export class NezukoApi {
  constructor(readonly http: ApiClient) {}

  signInMagic(code: string): Promise<Session> {
    return this.http.json("POST", "/api/auth/magic", { body: { code }, anonymous: true });
  }
  signInWidget(fields: Record<string, string>): Promise<Session> {
    return this.http.json("POST", "/api/auth/widget", { body: fields, anonymous: true });
  }
  logout(): Promise<void> {
    return this.http.json("POST", "/api/auth/logout");
  }
  me(): Promise<Me> {
    return this.http.json("GET", "/api/me");
  }
  ticket(): Promise<Ticket> {
    return this.http.json("POST", "/api/live/ticket");
  }

  bots(includeRemoved = false): Promise<Page<Bot>> {
    return this.http.json("GET", "/api/bots", { query: { include_removed: includeRemoved || undefined, limit: 200 } });
  }
  bot(botId: number): Promise<BotDetail> {
    return this.http.json("GET", `/api/bots/${enc(botId)}`);
  }
  addBot(token: string): Promise<Bot> {
    return this.http.json("POST", "/api/bots", { body: { token } });
  }
  botAction(botId: number, action: "pause" | "resume" | "rotate-secret"): Promise<Bot> {
    return this.http.json("POST", `/api/bots/${enc(botId)}/${action}`);
  }
  removeBot(botId: number): Promise<Bot> {
    return this.http.json("DELETE", `/api/bots/${enc(botId)}`);
  }
  uptime(botId: number): Promise<Uptime> {
    return this.http.json("GET", `/api/bots/${enc(botId)}/uptime`);
  }

  groups(filters: GroupFilters = {}): Promise<Page<Group>> {
    return this.http.json("GET", "/api/groups", { query: { ...filters } });
  }
  group(botId: number, chatId: number): Promise<GroupDetail> {
    return this.http.json("GET", groupPath(botId, chatId));
  }
  updateSettings(botId: number, chatId: number, settings: Partial<GroupSettings>): Promise<GroupDetail> {
    return this.http.json("PATCH", `${groupPath(botId, chatId)}/settings`, { body: { settings } });
  }
  setGroupEnabled(botId: number, chatId: number, enabled: boolean): Promise<GroupDetail> {
    return this.http.json("POST", `${groupPath(botId, chatId)}/${enabled ? "enable" : "disable"}`);
  }
  addChannel(botId: number, chatId: number, channel: string | number): Promise<GroupDetail> {
    return this.http.json("POST", `${groupPath(botId, chatId)}/channels`, { body: { channel } });
  }
  removeChannel(botId: number, chatId: number, channelId: number): Promise<GroupDetail> {
    return this.http.json("DELETE", `${groupPath(botId, chatId)}/channels/${enc(channelId)}`);
  }
  channels(botId?: number): Promise<Page<ChannelItem>> {
    return this.http.json("GET", "/api/channels", { query: { bot_id: botId, limit: 200 } });
  }

  overview(): Promise<Overview> {
    return this.http.json("GET", "/api/overview");
  }
  analytics(period: Period, botId?: number, chatId?: number): Promise<Analytics> {
    return this.http.json("GET", "/api/analytics", { query: { period, bot_id: botId, chat_id: chatId } });
  }
  events(filters: EventFilters = {}, signal?: AbortSignal): Promise<Page<EventItem>> {
    return this.http.json("GET", "/api/events", { query: { ...filters }, signal });
  }
  audit(filters: EventFilters = {}): Promise<Page<EventItem>> {
    return this.http.json("GET", "/api/audit", { query: { ...filters } });
  }
  /** One CSV file of up to `pages` pages; `next` continues where it stopped. */
  async exportCsv(kind: "events" | "audit", filters: EventFilters): Promise<{ text: string; rows: number; next: string | null }> {
    const { limit: _limit, ...rest } = filters;
    void _limit;
    const response = await this.http.raw("GET", `/api/${kind}/export`, { query: { ...rest } });
    return {
      text: await response.text(),
      rows: Number(response.headers.get("X-Rows") ?? "0"),
      next: response.headers.get("X-Next-Cursor"),
    };
  }
}

function groupPath(botId: number, chatId: number): string {
  return `/api/bots/${enc(botId)}/groups/${enc(chatId)}`;
}
