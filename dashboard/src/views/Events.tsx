import { useEffect, useMemo, useState } from "preact/hooks";
import type { EventFilters, EventItem } from "../api/types";
import { csvFileName, mergeCsvPages } from "../lib/csv";
import { eventLabel, eventTone, formatTime } from "../lib/format";
import { current, firstPage, next, previous } from "../lib/pages";
import { EVENT_TYPES, epochFromLocalInput, hashQuery, parseIntField } from "../lib/query";
import { useApp, useAsync } from "./hooks";
import { groupNames } from "./Overview";
import { Empty, ErrorBox, Loading, Notice, PageHeader, Pager } from "./ui";

interface FilterForm {
  bot_id: string;
  chat_id: string;
  user_id: string;
  type: string;
  since: string;
  until: string;
  order: "newest" | "oldest";
}

const EMPTY: FilterForm = { bot_id: "", chat_id: "", user_id: "", type: "", since: "", until: "", order: "newest" };
const MAX_EXPORT_FILES = 5;

/** API filters from the form; an error message when a field is malformed. */
export function toFilters(form: FilterForm): EventFilters | string {
  const ids: Record<string, number | undefined> = {};
  for (const key of ["bot_id", "chat_id", "user_id"] as const) {
    const value = parseIntField(form[key]);
    if (Number.isNaN(value)) return `${key.replace("_id", "")} id must be a number`;
    ids[key] = value;
  }
  if (ids.chat_id !== undefined && ids.bot_id === undefined) return "Choose a bot to filter by group";
  const since = epochFromLocalInput(form.since);
  const until = epochFromLocalInput(form.until);
  if (since !== undefined && until !== undefined && since > until) return "“From” is after “to”";
  return { ...ids, type: form.type || undefined, since, until, order: form.order };
}

export function EventsPage({ audit = false }: { audit?: boolean }) {
  const app = useApp();
  const initial = useMemo(() => ({ ...EMPTY, ...pick(hashQuery(location.hash)) }), []);
  const [form, setForm] = useState<FilterForm>(initial);
  const [applied, setApplied] = useState<EventFilters>(() => {
    const f = toFilters(initial);
    return typeof f === "string" ? {} : f;
  });
  const [formError, setFormError] = useState<string | null>(null);
  const [pages, setPages] = useState(firstPage());
  const cursor = current(pages);
  const page = useAsync(
    () => (audit ? app.api.audit({ ...applied, limit: 50, cursor: cursor ?? undefined }) : app.api.events({ ...applied, limit: 50, cursor: cursor ?? undefined })),
    [applied, cursor, audit],
  );
  const bots = useAsync(() => app.api.bots(true), []);
  const groups = useAsync(() => app.api.groups({ limit: 200 }), []);
  const names = useMemo(() => groupNames(groups.data?.items ?? []), [groups.data]);
  const [fresh, setFresh] = useState(0);
  useEffect(() => app.live.onNew(() => setFresh((n) => n + 1)), []);

  const apply = (e: Event) => {
    e.preventDefault();
    const filters = toFilters(form);
    if (typeof filters === "string") return setFormError(filters);
    setFormError(null);
    setPages(firstPage());
    setApplied(filters);
    setFresh(0);
  };
  const set = <K extends keyof FilterForm>(key: K, value: FilterForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const title = audit ? "Audit log" : "Events";

  return (
    <section>
      <PageHeader title={title}>
        <ExportButton kind={audit ? "audit" : "events"} filters={applied} />
      </PageHeader>
      <form class="card filters" onSubmit={apply} aria-label="Filters" data-testid="event-filters">
        <label class="inline-field">
          <span>Bot</span>
          <select value={form.bot_id} onChange={(e) => set("bot_id", e.currentTarget.value)} name="bot_id">
            <option value="">All bots</option>
            {(bots.data?.items ?? []).map((b) => (
              <option key={b.bot_id} value={b.bot_id}>
                @{b.username}
              </option>
            ))}
          </select>
        </label>
        <label class="inline-field">
          <span>Group id</span>
          <input type="text" inputMode="numeric" name="chat_id" value={form.chat_id} onInput={(e) => set("chat_id", e.currentTarget.value)} />
        </label>
        <label class="inline-field">
          <span>User id</span>
          <input type="text" inputMode="numeric" name="user_id" value={form.user_id} onInput={(e) => set("user_id", e.currentTarget.value)} />
        </label>
        {!audit && (
          <label class="inline-field">
            <span>Type</span>
            <select name="type" value={form.type} onChange={(e) => set("type", e.currentTarget.value)}>
              <option value="">Any</option>
              {EVENT_TYPES.map((t) => (
                <option key={t} value={t}>
                  {eventLabel(t)}
                </option>
              ))}
            </select>
          </label>
        )}
        <label class="inline-field">
          <span>From</span>
          <input type="datetime-local" name="since" value={form.since} onInput={(e) => set("since", e.currentTarget.value)} />
        </label>
        <label class="inline-field">
          <span>To</span>
          <input type="datetime-local" name="until" value={form.until} onInput={(e) => set("until", e.currentTarget.value)} />
        </label>
        <label class="inline-field">
          <span>Order</span>
          <select name="order" value={form.order} onChange={(e) => set("order", e.currentTarget.value as "newest" | "oldest")}>
            <option value="newest">Newest first</option>
            <option value="oldest">Oldest first</option>
          </select>
        </label>
        <div class="filter-actions">
          <button type="submit" class="btn btn-primary">
            Apply
          </button>
          <button
            type="button"
            class="btn"
            onClick={() => {
              setForm(EMPTY);
              setApplied({});
              setPages(firstPage());
            }}
          >
            Clear
          </button>
        </div>
        {formError && <Notice kind="error">{formError}</Notice>}
      </form>
      {fresh > 0 && pages.index === 0 && (
        <p class="notice notice-ok" role="status">
          {fresh} new event(s).{" "}
          <button type="button" class="link-btn" onClick={() => (setFresh(0), page.reload())}>
            Show
          </button>
        </p>
      )}
      {page.error && !page.data ? (
        <ErrorBox error={page.error} onRetry={page.reload} />
      ) : !page.data ? (
        <Loading />
      ) : page.data.items.length === 0 ? (
        <Empty>No {audit ? "admin actions" : "events"} match these filters.</Empty>
      ) : (
        <EventTable items={page.data.items} names={names} audit={audit} />
      )}
      <Pager
        hasPrev={pages.index > 0}
        hasNext={!!page.data?.next_cursor}
        onPrev={() => setPages(previous(pages))}
        onNext={() => setPages(next(pages, page.data?.next_cursor ?? null))}
      />
    </section>
  );
}

function pick(query: Record<string, string>): Partial<FilterForm> {
  const out: Partial<FilterForm> = {};
  for (const key of ["bot_id", "chat_id", "user_id", "type"] as const) if (query[key]) out[key] = query[key];
  return out;
}

function EventTable({ items, names, audit }: { items: EventItem[]; names: Map<string, string>; audit: boolean }) {
  return (
    <div class="table-wrap">
      <table class="table" data-testid="events-table">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Group</th>
            <th scope="col">{audit ? "By" : "User"}</th>
            <th scope="col">Reason / detail</th>
            {!audit && <th scope="col" class="num">Latency</th>}
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.event_id} data-type={e.type}>
              <td class="nowrap">{formatTime(e.ts)}</td>
              <td>
                <span class={`chip tone-${eventTone(e.type)}`}>{eventLabel(e.type)}</span>
              </td>
              <td>
                {e.chat_id === null ? "—" : <a href={`#/groups/${e.bot_id}/${e.chat_id}`}>{names.get(`${e.bot_id}:${e.chat_id}`) ?? String(e.chat_id)}</a>}
              </td>
              <td class="mono">{(audit ? (e.actor_id ?? e.user_id) : e.user_id) ?? "—"}</td>
              <td class="detail">
                {e.reason}
                {Object.keys(e.detail ?? {}).length > 0 && <code class="detail-json">{JSON.stringify(e.detail)}</code>}
              </td>
              {!audit && <td class="num">{e.latency_ms === null ? "—" : `${Math.round(e.latency_ms)} ms`}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ExportButton({ kind, filters }: { kind: "events" | "audit"; filters: EventFilters }) {
  const app = useApp();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const run = async () => {
    setBusy(true);
    setMessage(null);
    try {
      // The token goes in a header, never a URL: fetch the CSV, then save it from a blob.
      const files: string[] = [];
      let rows = 0;
      let cursor: string | undefined;
      let more = false;
      for (let i = 0; i < MAX_EXPORT_FILES; i++) {
        const part = await app.api.exportCsv(kind, { ...filters, cursor });
        files.push(part.text);
        rows += part.rows;
        cursor = part.next ?? undefined;
        more = !!cursor;
        if (!cursor) break;
      }
      const blob = new Blob([mergeCsvPages(files)], { type: "text/csv;charset=utf-8" });
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = csvFileName(kind, new Date());
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setMessage({ kind: "ok", text: `Exported ${rows} row(s)${more ? " (narrow the filters for the rest)" : ""}.` });
    } catch (err) {
      setMessage({ kind: "error", text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="btn" onClick={run} disabled={busy} data-testid="export-csv">
        {busy ? "Exporting…" : "Export CSV"}
      </button>
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
    </>
  );
}
