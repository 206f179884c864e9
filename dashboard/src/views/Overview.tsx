import { useEffect, useMemo } from "preact/hooks";
import type { Bot, Group, Uptime } from "../api/types";
import { formatCount, formatPercent, formatRate, formatTime } from "../lib/format";
import { useApp, useAsync, useStore } from "./hooks";
import { Empty, ErrorBox, EventRow, Loading, PageHeader, StatCard } from "./ui";

export function OverviewPage() {
  const app = useApp();
  const overview = useStore(app.overview);
  const feed = useStore(app.feed);
  const load = useAsync(() => app.api.overview(), []);
  useEffect(() => {
    if (load.data) app.overview.set(load.data);
  }, [load.data]);
  const initialFeed = useAsync(() => app.api.events({ limit: 20 }), []);
  useEffect(() => {
    if (initialFeed.data) app.feed.set((current) => (current.length ? current : initialFeed.data!.items));
  }, [initialFeed.data]);
  const groups = useAsync(() => app.api.groups({ limit: 200 }), []);
  const names = useMemo(() => groupNames(groups.data?.items ?? []), [groups.data]);

  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Overview" />
      {load.error && !overview ? (
        <ErrorBox error={load.error} onRetry={load.reload} />
      ) : !overview ? (
        <Loading />
      ) : (
        <div class="stats" data-testid="stats">
          <StatCard testId="stat-groups" label="Protected groups" value={formatCount(overview.protected_groups)} />
          <StatCard testId="stat-channels" label="Required channels" value={formatCount(overview.channels)} />
          <StatCard testId="stat-verifications" label="Verifications today" value={formatCount(overview.verifications_today)} hint={`pass rate ${formatRate(overview.pass_rate)}`} />
          <StatCard testId="stat-muted" label="Muted now" value={formatCount(overview.muted_now)} />
          <StatCard testId="stat-uptime" label="Uptime (24 h)" value={formatPercent(overview.uptime_percent, 2)} />
        </div>
      )}
      <div class="grid-2">
        <section class="card" aria-labelledby="feed-title">
          <h2 id="feed-title">Live activity</h2>
          {initialFeed.loading && feed.length === 0 ? (
            <Loading />
          ) : initialFeed.error && feed.length === 0 ? (
            <ErrorBox error={initialFeed.error} onRetry={initialFeed.reload} />
          ) : feed.length === 0 ? (
            <Empty>No activity yet. Events appear here the moment they happen.</Empty>
          ) : (
            <ol class="feed" data-testid="feed" aria-live="polite" aria-relevant="additions">
              {feed.map((event) => (
                <EventRow key={event.event_id} event={event} names={names} />
              ))}
            </ol>
          )}
        </section>
        <UptimeCard />
      </div>
    </section>
  );
}

export function groupNames(groups: Group[]): Map<string, string> {
  return new Map(groups.map((g) => [`${g.bot_id}:${g.chat_id}`, g.title]));
}

function UptimeCard() {
  const app = useApp();
  const bots = useAsync(() => app.api.bots(), []);
  return (
    <section class="card" aria-labelledby="uptime-title">
      <h2 id="uptime-title">Uptime</h2>
      {bots.loading && !bots.data ? (
        <Loading />
      ) : bots.error ? (
        <ErrorBox error={bots.error} onRetry={bots.reload} />
      ) : bots.data!.items.length === 0 ? (
        <Empty>
          No bots yet. <a href="#/bots">Add a bot</a> to start.
        </Empty>
      ) : (
        <ul class="uptime-list">
          {bots.data!.items.map((bot) => (
            <BotUptime key={bot.bot_id} bot={bot} />
          ))}
        </ul>
      )}
    </section>
  );
}

function BotUptime({ bot }: { bot: Bot }) {
  const app = useApp();
  const uptime = useAsync(() => app.api.uptime(bot.bot_id), [bot.bot_id]);
  return (
    <li class="uptime-item">
      <a href={`#/bots/${bot.bot_id}`}>@{bot.username}</a>
      {uptime.loading && !uptime.data ? (
        <span class="muted">…</span>
      ) : uptime.error ? (
        <span class="muted">{uptime.error.message}</span>
      ) : (
        <UptimeWindows uptime={uptime.data!} />
      )}
    </li>
  );
}

export function windowPercent(value: Uptime["windows"][string]): number | null {
  if (typeof value === "number") return value;
  if (value && typeof value === "object") return value.percent;
  return null;
}

export function UptimeWindows({ uptime }: { uptime: Uptime }) {
  const last = uptime.incidents[0];
  return (
    <span class="uptime-windows">
      {["24h", "7d", "30d"].map((w) => (
        <span key={w} class="pill">
          {w} {formatPercent(windowPercent(uptime.windows[w]), 2)}
        </span>
      ))}
      {last && (
        <span class={last.ongoing ? "pill pill-bad" : "pill"}>
          {last.ongoing ? "down since" : "last incident"} {formatTime(last.start)} ({last.reason})
        </span>
      )}
    </span>
  );
}
