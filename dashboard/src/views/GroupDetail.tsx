import { useEffect, useState } from "preact/hooks";
import type { GroupDetail, GroupSettings } from "../api/types";
import { ApiError } from "../api/client";
import { formatTime } from "../lib/format";
import { useApp, useAsync } from "./hooks";
import { ConfirmDialog, Empty, ErrorBox, EventRow, Loading, Notice, PageHeader } from "./ui";

export function GroupDetailPage({ botId, chatId }: { botId: number; chatId: number }) {
  const app = useApp();
  const group = useAsync(() => app.api.group(botId, chatId), [botId, chatId]);
  if (group.error && !group.data) return <ErrorBox error={group.error} onRetry={group.reload} />;
  if (!group.data) return <Loading />;
  const g = group.data;
  return (
    <section>
      <p class="crumbs">
        <a href="#/groups">Groups</a> /
      </p>
      <PageHeader title={g.title}>
        <EnableToggle group={g} onChange={group.setData} />
      </PageHeader>
      <p class="muted" data-testid="group-meta">
        Chat <span class="mono">{g.chat_id}</span> · bot <a href={`#/bots/${g.bot_id}`}>{g.bot_id}</a> · muted now{" "}
        <strong data-testid="group-muted">{g.ledger.muted_now}</strong>
        {g.protected_by !== null && <> · protected by user <span class="mono">{g.protected_by}</span></>} · since {formatTime(g.created_at)}
      </p>
      <div class="grid-2">
        <SettingsForm group={g} onSaved={group.setData} />
        <div>
          <ChannelsCard group={g} onChange={group.setData} />
          <RecentEvents botId={botId} chatId={chatId} />
        </div>
      </div>
    </section>
  );
}

function EnableToggle({ group, onChange }: { group: GroupDetail; onChange: (g: GroupDetail) => void }) {
  const app = useApp();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const apply = async () => {
    setBusy(true);
    setError(null);
    try {
      onChange(await app.api.setGroupEnabled(group.bot_id, group.chat_id, !group.enabled));
      setConfirming(false);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <span class={group.enabled ? "pill pill-good" : "pill"} data-testid="group-enabled">
        {group.enabled ? "Protection on" : "Protection off"}
      </span>
      <button type="button" class={group.enabled ? "btn btn-danger" : "btn btn-primary"} onClick={() => (group.enabled ? setConfirming(true) : apply())} disabled={busy}>
        {group.enabled ? "Disable" : "Enable"}
      </button>
      {error && <Notice kind="error">{error}</Notice>}
      <ConfirmDialog
        open={confirming}
        title="Turn protection off?"
        message={`Members of “${group.title}” will be able to write without joining the required channels.`}
        confirmLabel="Disable protection"
        danger
        busy={busy}
        onConfirm={apply}
        onCancel={() => setConfirming(false)}
      />
    </>
  );
}

interface FormState {
  notice_ttl: string;
  unknown_policy: string;
  sender_chat_policy: string;
  allow_bots: boolean;
  kick_after_minutes: string;
  language: string;
  notice_template: string;
  whitelist: string;
}

function toForm(s: GroupSettings): FormState {
  return {
    notice_ttl: String(s.notice_ttl ?? ""),
    unknown_policy: s.unknown_policy ?? "allow",
    sender_chat_policy: s.sender_chat_policy ?? "delete",
    allow_bots: s.allow_bots ?? true,
    kick_after_minutes: s.kick_after_minutes === null || s.kick_after_minutes === undefined ? "" : String(s.kick_after_minutes),
    language: s.language ?? "",
    notice_template: s.notice_template ?? "",
    whitelist: (s.whitelist ?? []).join(", "),
  };
}

/** The settings that differ from `before`, in the API's types; throws on a malformed field. */
export function settingsPatch(form: FormState, before: GroupSettings): Partial<GroupSettings> {
  const ints = (text: string, field: string) => {
    const parts = text.split(/[\s,]+/).filter(Boolean);
    if (parts.some((p) => !/^-?\d{1,20}$/.test(p))) throw new ApiError(400, "invalid_input", `${field}: user ids are numbers`);
    return parts.map(Number);
  };
  const num = (text: string, field: string): number | null => {
    if (text.trim() === "") return null;
    if (!/^\d+$/.test(text.trim())) throw new ApiError(400, "invalid_input", `${field}: enter a whole number`);
    return Number(text);
  };
  const after: Partial<GroupSettings> = {
    notice_ttl: num(form.notice_ttl, "notice_ttl") ?? before.notice_ttl,
    unknown_policy: form.unknown_policy as GroupSettings["unknown_policy"],
    sender_chat_policy: form.sender_chat_policy as GroupSettings["sender_chat_policy"],
    allow_bots: form.allow_bots,
    kick_after_minutes: num(form.kick_after_minutes, "kick_after_minutes"),
    language: form.language.trim() || null,
    notice_template: form.notice_template.trim() ? form.notice_template : null,
    whitelist: ints(form.whitelist, "whitelist"),
  };
  const patch: Partial<GroupSettings> = {};
  for (const [key, value] of Object.entries(after)) {
    if (JSON.stringify(value) !== JSON.stringify(before[key] ?? null)) (patch as Record<string, unknown>)[key] = value;
  }
  return patch;
}

function SettingsForm({ group, onSaved }: { group: GroupDetail; onSaved: (g: GroupDetail) => void }) {
  const app = useApp();
  const [form, setForm] = useState(toForm(group.settings));
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  useEffect(() => setForm(toForm(group.settings)), [group.settings]);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => ({ ...f, [key]: value }));
  const submit = async (e: Event) => {
    e.preventDefault();
    setResult(null);
    let patch: Partial<GroupSettings>;
    try {
      patch = settingsPatch(form, group.settings);
    } catch (err) {
      setResult({ kind: "error", text: (err as Error).message });
      return;
    }
    if (Object.keys(patch).length === 0) {
      setResult({ kind: "ok", text: "Nothing changed." });
      return;
    }
    setBusy(true);
    try {
      onSaved(await app.api.updateSettings(group.bot_id, group.chat_id, patch));
      setResult({ kind: "ok", text: "Settings saved. The bot applies them within 30 seconds." });
    } catch (err) {
      setResult({ kind: "error", text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="settings-title" data-testid="settings-form">
      <h2 id="settings-title">Settings</h2>
      <label class="field">
        <span>Notice lifetime (seconds)</span>
        <input type="number" min={10} max={86400} name="notice_ttl" value={form.notice_ttl} onInput={(e) => set("notice_ttl", e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>When membership cannot be checked</span>
        <select name="unknown_policy" value={form.unknown_policy} onChange={(e) => set("unknown_policy", e.currentTarget.value)}>
          <option value="allow">Let the message through (record and alert)</option>
          <option value="hold">Hold: mute until it can be checked</option>
        </select>
      </label>
      <label class="field">
        <span>Members posting as a channel</span>
        <select name="sender_chat_policy" value={form.sender_chat_policy} onChange={(e) => set("sender_chat_policy", e.currentTarget.value)}>
          <option value="delete">Delete the message</option>
          <option value="ban">Ban that channel in the group</option>
          <option value="allow">Allow</option>
        </select>
      </label>
      <label class="field check">
        <input type="checkbox" name="allow_bots" checked={form.allow_bots} onChange={(e) => set("allow_bots", e.currentTarget.checked)} />
        <span>Let other bots in without checks</span>
      </label>
      <label class="field">
        <span>Remove muted members after (minutes, empty = never)</span>
        <input type="number" min={1} max={10080} name="kick_after_minutes" value={form.kick_after_minutes} onInput={(e) => set("kick_after_minutes", e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>Language of notices (e.g. en; empty = the member's)</span>
        <input type="text" maxLength={8} name="language" value={form.language} onInput={(e) => set("language", e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>Notice text (empty = default)</span>
        <textarea name="notice_template" maxLength={1024} rows={3} value={form.notice_template} onInput={(e) => set("notice_template", e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>Whitelist (user ids, comma separated)</span>
        <input type="text" name="whitelist" inputMode="numeric" value={form.whitelist} onInput={(e) => set("whitelist", e.currentTarget.value)} data-testid="whitelist" />
      </label>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="save-settings">
          {busy ? "Saving…" : "Save settings"}
        </button>
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
      </div>
    </form>
  );
}

function ChannelsCard({ group, onChange }: { group: GroupDetail; onChange: (g: GroupDetail) => void }) {
  const app = useApp();
  const [channel, setChannel] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [removing, setRemoving] = useState<{ chat_id: number; title: string } | null>(null);
  const add = async (e: Event) => {
    e.preventDefault();
    const value = channel.trim();
    if (!value) return setError("Enter @username or the channel's numeric id.");
    setBusy(true);
    setError(null);
    try {
      onChange(await app.api.addChannel(group.bot_id, group.chat_id, /^-?\d+$/.test(value) ? Number(value) : value));
      setChannel("");
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!removing) return;
    setBusy(true);
    try {
      onChange(await app.api.removeChannel(group.bot_id, group.chat_id, removing.chat_id));
      setRemoving(null);
    } catch (err) {
      setError((err as Error).message);
      setRemoving(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="channels-title">
      <h2 id="channels-title">Required channels</h2>
      {group.required_channels.length === 0 ? (
        <Empty>No channel is required: members are not checked.</Empty>
      ) : (
        <ul class="list" data-testid="required-channels">
          {group.required_channels.map((c) => (
            <li key={c.chat_id}>
              <span>
                {c.title} {c.username && <span class="muted">@{c.username}</span>}
              </span>
              <button type="button" class="btn btn-small" onClick={() => setRemoving(c)} aria-label={`Stop requiring ${c.title}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="inline-form" onSubmit={add}>
        <label class="inline-field grow">
          <span>Add channel</span>
          <input type="text" value={channel} placeholder="@channel or -100…" onInput={(e) => setChannel(e.currentTarget.value)} />
        </label>
        <button type="submit" class="btn" disabled={busy}>
          Require
        </button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      <ConfirmDialog
        open={removing !== null}
        title="Stop requiring this channel?"
        message={removing ? `Members will no longer need to join “${removing.title}”.` : ""}
        confirmLabel="Stop requiring"
        danger
        busy={busy}
        onConfirm={remove}
        onCancel={() => setRemoving(null)}
      />
    </section>
  );
}

function RecentEvents({ botId, chatId }: { botId: number; chatId: number }) {
  const app = useApp();
  const events = useAsync(() => app.api.events({ bot_id: botId, chat_id: chatId, limit: 10 }), [botId, chatId]);
  useEffect(() => app.live.onNew((e) => e.bot_id === botId && e.chat_id === chatId && events.reload()), [botId, chatId]);
  return (
    <section class="card" aria-labelledby="recent-title">
      <h2 id="recent-title">Recent events</h2>
      {events.error && !events.data ? (
        <ErrorBox error={events.error} onRetry={events.reload} />
      ) : !events.data ? (
        <Loading />
      ) : events.data.items.length === 0 ? (
        <Empty>Nothing happened here yet.</Empty>
      ) : (
        <ol class="feed">
          {events.data.items.map((e) => (
            <EventRow key={e.event_id} event={e} />
          ))}
        </ol>
      )}
      <p>
        <a href={`#/events?bot_id=${botId}&chat_id=${chatId}`}>All events of this group →</a>
      </p>
    </section>
  );
}
