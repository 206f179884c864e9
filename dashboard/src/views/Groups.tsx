import { useEffect, useMemo, useState } from "preact/hooks";
import type { Group } from "../api/types";
import { formatTime } from "../lib/format";
import { current, firstPage, next, previous, sortRows, type SortDir } from "../lib/pages";
import { useApp, useAsync } from "./hooks";
import { Empty, ErrorBox, Loading, PageHeader, Pager } from "./ui";

type SortKey = "title" | "enabled" | "channels" | "updated";
const KEYS: Record<SortKey, (g: Group) => string | number | boolean> = {
  title: (g) => g.title,
  enabled: (g) => g.enabled,
  channels: (g) => g.required_channels.length,
  updated: (g) => g.updated_at,
};

export function GroupsPage() {
  const app = useApp();
  const [search, setSearch] = useState("");
  const [q, setQ] = useState("");
  const [enabled, setEnabled] = useState<"" | "true" | "false">("");
  const [pages, setPages] = useState(firstPage());
  const [sort, setSort] = useState<{ key: SortKey; dir: SortDir }>({ key: "title", dir: "asc" });
  useEffect(() => {
    const t = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  useEffect(() => setPages(firstPage()), [q, enabled]);
  const cursor = current(pages);
  const list = useAsync(
    () => app.api.groups({ q: q || undefined, enabled: enabled === "" ? undefined : enabled === "true", limit: 25, cursor: cursor ?? undefined }),
    [q, enabled, cursor],
  );
  const rows = useMemo(() => sortRows(list.data?.items ?? [], KEYS[sort.key], sort.dir), [list.data, sort]);
  const header = (key: SortKey, label: string) => {
    const active = sort.key === key;
    return (
      <th scope="col" aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}>
        <button
          type="button"
          class="sort"
          onClick={() => setSort({ key, dir: active && sort.dir === "asc" ? "desc" : "asc" })}
        >
          {label}
          <span aria-hidden="true">{active ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}</span>
        </button>
      </th>
    );
  };

  return (
    <section>
      <PageHeader title="Groups" />
      <div class="toolbar" role="search">
        <label class="inline-field grow">
          <span>Search</span>
          <input type="search" value={search} placeholder="Group title" onInput={(e) => setSearch(e.currentTarget.value)} data-testid="group-search" />
        </label>
        <label class="inline-field">
          <span>Protection</span>
          <select value={enabled} onChange={(e) => setEnabled(e.currentTarget.value as "" | "true" | "false")}>
            <option value="">All</option>
            <option value="true">On</option>
            <option value="false">Off</option>
          </select>
        </label>
      </div>
      {list.error && !list.data ? (
        <ErrorBox error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Empty>{q ? "No group matches that search." : "No groups yet. Add your bot to a group as an admin, then send /protect @channel there."}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table" data-testid="groups-table">
            <thead>
              <tr>
                {header("title", "Group")}
                {header("enabled", "Protection")}
                {header("channels", "Required channels")}
                {header("updated", "Updated")}
              </tr>
            </thead>
            <tbody>
              {rows.map((g) => (
                <tr key={`${g.bot_id}:${g.chat_id}`}>
                  <td>
                    <a href={`#/groups/${g.bot_id}/${g.chat_id}`} data-testid="group-link">
                      {g.title}
                    </a>
                    {g.username && <span class="muted"> @{g.username}</span>}
                  </td>
                  <td>
                    <span class={g.enabled ? "pill pill-good" : "pill"}>{g.enabled ? "On" : "Off"}</span>
                  </td>
                  <td>{g.required_channels.map((c) => (c.username ? `@${c.username}` : c.title)).join(", ") || "—"}</td>
                  <td>{formatTime(g.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        hasPrev={pages.index > 0}
        hasNext={!!list.data?.next_cursor}
        onPrev={() => setPages(previous(pages))}
        onNext={() => setPages(next(pages, list.data?.next_cursor ?? null))}
      />
    </section>
  );
}
