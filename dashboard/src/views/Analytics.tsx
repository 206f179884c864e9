import type { ChartConfiguration } from "chart.js";
import { useEffect, useMemo, useState } from "preact/hooks";
import { PERIODS, type Analytics, type Period } from "../api/types";
import { formatCount } from "../lib/format";
import { ChartView, palette } from "./Chart";
import { useApp, useAsync, useThrottled } from "./hooks";
import { groupNames } from "./Overview";
import { Empty, ErrorBox, Loading, PageHeader } from "./ui";

export function AnalyticsPage() {
  const app = useApp();
  const [period, setPeriod] = useState<Period>("24h");
  const [botId, setBotId] = useState<number | undefined>(undefined);
  const bots = useAsync(() => app.api.bots(), []);
  const groups = useAsync(() => app.api.groups({ limit: 200 }), []);
  const data = useAsync(() => app.api.analytics(period, botId), [period, botId]);
  // new events move the charts: refetch the aggregates, at most every 5 s
  const refresh = useThrottled(data.reload, 5000);
  useEffect(() => app.live.onNew(refresh), [refresh]);
  const names = useMemo(() => groupNames(groups.data?.items ?? []), [groups.data]);

  return (
    <section>
      <PageHeader title="Analytics">
        <div class="segmented" role="radiogroup" aria-label="Period">
          {PERIODS.map((p) => (
            <button
              key={p}
              type="button"
              role="radio"
              aria-checked={p === period}
              class={p === period ? "seg seg-on" : "seg"}
              onClick={() => setPeriod(p)}
            >
              {p}
            </button>
          ))}
        </div>
        <label class="inline-field">
          <span>Bot</span>
          <select
            value={botId ?? ""}
            onChange={(e) => setBotId(e.currentTarget.value ? Number(e.currentTarget.value) : undefined)}
          >
            <option value="">All bots</option>
            {(bots.data?.items ?? []).map((b) => (
              <option key={b.bot_id} value={b.bot_id}>
                @{b.username}
              </option>
            ))}
          </select>
        </label>
      </PageHeader>
      {data.error && !data.data ? (
        <ErrorBox error={data.error} onRetry={data.reload} />
      ) : !data.data ? (
        <Loading />
      ) : (
        <Charts analytics={data.data} names={names} />
      )}
    </section>
  );
}

function shortLabel(label: string): string {
  // 2026-11-29T21 → 29 21:00, 2026-11-29 → Nov 29
  if (label.length === 13) return `${label.slice(8, 10)} ${label.slice(11)}:00`;
  return label.slice(5);
}

function Charts({ analytics, names }: { analytics: Analytics; names: Map<string, string> }) {
  const c = palette();
  const labels = analytics.buckets.map(shortLabel);
  const outcomes = Object.keys(analytics.verifications);
  const totals = outcomes.map((o) => analytics.verifications[o].reduce((a, b) => a + b, 0));
  const total = totals.reduce((a, b) => a + b, 0);
  const passRate = analytics.buckets.map((_, i) => {
    const all = outcomes.reduce((sum, o) => sum + (analytics.verifications[o][i] ?? 0), 0);
    return all ? Math.round((1000 * (analytics.verifications.passed?.[i] ?? 0)) / all) / 10 : null;
  });
  const configs = useMemo(() => {
    const line = (datasets: ChartConfiguration<"line">["data"]["datasets"], yMax?: number): ChartConfiguration => ({
      type: "line",
      data: { labels, datasets: datasets.map((d) => ({ spanGaps: true, pointRadius: 2, ...d })) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, max: yMax } },
      },
    });
    const bar = (barLabels: string[], values: number[], label: string, color: string, horizontal = false): ChartConfiguration => ({
      type: "bar",
      data: { labels: barLabels, datasets: [{ label, data: values, backgroundColor: color }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true } },
      },
    });
    const hist = analytics.latency.histogram ?? {};
    const calls = Object.entries(analytics.telegram_calls).sort((a, b) => b[1] - a[1]);
    const errors = Object.entries(analytics.telegram_errors).sort((a, b) => b[1] - a[1]);
    return {
      verifications: {
        type: "bar",
        data: {
          labels,
          datasets: outcomes.map((o, i) => ({ label: o, data: analytics.verifications[o], backgroundColor: c.series[i % c.series.length] })),
        },
        options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
      } as ChartConfiguration,
      passRate: line([{ label: "pass rate %", data: passRate, borderColor: c.series[0], backgroundColor: c.series[0] }], 100),
      hourly: bar(
        analytics.hourly_activity.map((_, h) => `${String(h).padStart(2, "0")}h`),
        analytics.hourly_activity,
        "events",
        c.series[1],
      ),
      latency: line([
        { label: "p50 ms", data: analytics.latency.p50 ?? [], borderColor: c.series[0], backgroundColor: c.series[0] },
        { label: "p95 ms", data: analytics.latency.p95 ?? [], borderColor: c.series[2], backgroundColor: c.series[2] },
      ]),
      histogram: bar(Object.keys(hist), Object.values(hist), "checks", c.series[3]),
      cache: line(
        [{ label: "cache hit %", data: analytics.cache_hit_rate.map((v) => (v === null ? null : Math.round(v * 1000) / 10)), borderColor: c.series[4], backgroundColor: c.series[4] }],
        100,
      ),
      calls: bar(calls.map(([m]) => m), calls.map(([, n]) => n), "calls", c.series[0], true),
      errors: bar(errors.map(([m]) => m), errors.map(([, n]) => n), "errors", c.series[2], true),
    };
  }, [analytics]);

  return (
    <div data-testid="analytics">
      <div class="stats">
        {outcomes.map((o, i) => (
          <div class="card stat" key={o}>
            <div class="stat-label">{o}</div>
            <div class="stat-value">{formatCount(totals[i])}</div>
          </div>
        ))}
      </div>
      {total === 0 && <Empty>No verifications in this period yet; the charts fill in as members join and write.</Empty>}
      <div class="chart-grid">
        <ChartCard title="Verifications over time" config={configs.verifications} testId="chart-verifications" />
        <ChartCard title="Pass rate" config={configs.passRate} />
        <ChartCard title="Activity by hour of day (UTC)" config={configs.hourly} />
        <ChartCard title="Membership-check latency p50 / p95" config={configs.latency} />
        <ChartCard title="Latency distribution" config={configs.histogram} />
        <ChartCard title="Membership cache hit rate" config={configs.cache} />
        <ChartCard title="Telegram API calls" config={configs.calls} empty={Object.keys(analytics.telegram_calls).length === 0} />
        <ChartCard title="Telegram API errors" config={configs.errors} empty={Object.keys(analytics.telegram_errors).length === 0} />
      </div>
      <section class="card" aria-labelledby="top-title">
        <h2 id="top-title">Top groups</h2>
        {analytics.top_groups.length === 0 ? (
          <Empty>No group activity in this period.</Empty>
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col" class="num">
                  Events
                </th>
              </tr>
            </thead>
            <tbody>
              {analytics.top_groups.map((g) => (
                <tr key={`${g.bot_id}:${g.chat_id}`}>
                  <td>
                    <a href={`#/groups/${g.bot_id}/${g.chat_id}`}>{names.get(`${g.bot_id}:${g.chat_id}`) ?? String(g.chat_id)}</a>
                  </td>
                  <td class="num">{formatCount(g.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function ChartCard({ title, config, empty, testId }: { title: string; config: ChartConfiguration; empty?: boolean; testId?: string }) {
  return (
    <section class="card chart-card">
      <h2>{title}</h2>
      {empty ? <Empty>Nothing recorded in this period.</Empty> : <ChartView config={config} label={title} testId={testId} />}
    </section>
  );
}
