import { useState } from "preact/hooks";
import type { Bot, BotDetail } from "../api/types";
import { formatCount, formatTime } from "../lib/format";
import { botTokenProblem } from "../lib/query";
import { useApp, useAsync } from "./hooks";
import { UptimeWindows } from "./Overview";
import { ConfirmDialog, Empty, ErrorBox, Loading, Notice, PageHeader } from "./ui";

export function BotsPage() {
  const app = useApp();
  const list = useAsync(() => app.api.bots(), []);
  return (
    <section>
      <PageHeader title="Bots" />
      <AddBot onAdded={list.reload} />
      {list.error && !list.data ? (
        <ErrorBox error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>No bots yet. Create one with @BotFather and paste its token above.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table" data-testid="bots-table">
            <thead>
              <tr>
                <th scope="col">Bot</th>
                <th scope="col">Status</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((b) => (
                <tr key={b.bot_id}>
                  <td>
                    <a href={`#/bots/${b.bot_id}`} data-testid="bot-link">
                      @{b.username}
                    </a>{" "}
                    <span class="muted">{b.first_name}</span>
                  </td>
                  <td>
                    <StatusPill status={b.status} />
                  </td>
                  <td>{formatTime(b.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function StatusPill({ status }: { status: string }) {
  const tone = status === "active" ? "pill-good" : status === "removed" ? "pill-bad" : "pill-warn";
  return (
    <span class={`pill ${tone}`} data-testid="bot-status">
      {status}
    </span>
  );
}

function AddBot({ onAdded }: { onAdded: () => void }) {
  const app = useApp();
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<Bot | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setAdded(null);
    const problem = botTokenProblem(token);
    if (problem) return setError(problem);
    setBusy(true);
    setError(null);
    try {
      const bot = await app.api.addBot(token.trim());
      setAdded(bot);
      setToken("");
      onAdded();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="add-bot-title" data-testid="add-bot" noValidate>
      <h2 id="add-bot-title">Add a bot</h2>
      <label class="field">
        <span>Bot token from @BotFather</span>
        <input
          type="password"
          autoComplete="off"
          spellcheck={false}
          name="token"
          value={token}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "token-error" : undefined}
          onInput={(e) => setToken(e.currentTarget.value)}
          data-testid="bot-token"
        />
      </label>
      {error && (
        <p id="token-error" class="notice notice-error" role="alert" data-testid="bot-error">
          {error}
        </p>
      )}
      {added && (
        <Notice kind="ok">
          Added @{added.username}: its webhook points here now.
        </Notice>
      )}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? "Checking…" : "Add bot"}
        </button>
      </div>
    </form>
  );
}

export function BotDetailPage({ botId }: { botId: number }) {
  const app = useApp();
  const bot = useAsync(() => app.api.bot(botId), [botId]);
  const uptime = useAsync(() => app.api.uptime(botId), [botId]);
  if (bot.error && !bot.data) return <ErrorBox error={bot.error} onRetry={bot.reload} />;
  if (!bot.data) return <Loading />;
  const b = bot.data;
  return (
    <section>
      <p class="crumbs">
        <a href="#/bots">Bots</a> /
      </p>
      <PageHeader title={`@${b.username}`}>
        <StatusPill status={b.status} />
        <BotActions bot={b} onChange={bot.reload} />
      </PageHeader>
      <div class="grid-2">
        <WebhookCard bot={b} onRefresh={bot.reload} />
        <section class="card" aria-labelledby="bot-uptime-title">
          <h2 id="bot-uptime-title">Uptime</h2>
          {uptime.error ? <ErrorBox error={uptime.error} onRetry={uptime.reload} /> : !uptime.data ? <Loading /> : <UptimeWindows uptime={uptime.data} />}
          {uptime.data && uptime.data.incidents.length > 0 && (
            <ul class="plain incidents">
              {uptime.data.incidents.slice(0, 10).map((i) => (
                <li key={i.start}>
                  {formatTime(i.start)} – {i.ongoing ? "now" : formatTime(i.end)} · {i.minutes} min · {i.reason}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <p>
        {formatCount(b.groups)} group(s) · <a href={`#/events?bot_id=${b.bot_id}`}>events of this bot →</a>
      </p>
    </section>
  );
}

function WebhookCard({ bot, onRefresh }: { bot: BotDetail; onRefresh: () => void }) {
  const w = bot.webhook;
  const healthy = w.reachable && w.url_matches !== false && w.allowed_updates_complete !== false && !w.last_error_message;
  return (
    <section class="card" aria-labelledby="webhook-title" data-testid="webhook">
      <h2 id="webhook-title">Webhook health</h2>
      <p>
        <span class={healthy ? "pill pill-good" : "pill pill-bad"} data-testid="webhook-health">
          {healthy ? "Healthy" : "Needs attention"}
        </span>
      </p>
      <dl class="facts">
        <dt>Telegram reachable</dt>
        <dd>{w.reachable ? "yes" : `no${w.error ? ` (${w.error})` : ""}`}</dd>
        <dt>Points at this deployment</dt>
        <dd>{w.url_matches === null ? "—" : w.url_matches ? "yes" : "no"}</dd>
        <dt>All update types requested</dt>
        <dd>{w.allowed_updates_complete === null ? "—" : w.allowed_updates_complete ? "yes" : `no (missing ${w.missing_updates.join(", ")})`}</dd>
        <dt>Pending updates</dt>
        <dd>{formatCount(w.pending_update_count)}</dd>
        <dt>Last error</dt>
        <dd>{w.last_error_message ? `${w.last_error_message} (${formatTime(w.last_error_date)})` : "none"}</dd>
      </dl>
      <button type="button" class="btn" onClick={onRefresh}>
        Check again
      </button>
    </section>
  );
}

type Action = "pause" | "resume" | "rotate-secret" | "remove";
const CONFIRM: Record<Action, { title: string; message: string; label: string; danger: boolean }> = {
  pause: { title: "Pause this bot?", message: "It stops enforcing in every group until resumed. Members are not muted meanwhile.", label: "Pause", danger: true },
  resume: { title: "Resume this bot?", message: "It starts enforcing again in its protected groups.", label: "Resume", danger: false },
  "rotate-secret": { title: "Rotate the webhook secret?", message: "A new secret is set with Telegram; deliveries with the old one are refused.", label: "Rotate", danger: false },
  remove: { title: "Remove this bot?", message: "Its webhook is deleted and it stops enforcing. Its history stays for the audit log.", label: "Remove bot", danger: true },
};

function BotActions({ bot, onChange }: { bot: BotDetail; onChange: () => void }) {
  const app = useApp();
  const [action, setAction] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (bot.status === "removed") return null;
  const run = async () => {
    if (!action) return;
    setBusy(true);
    setError(null);
    try {
      if (action === "remove") await app.api.removeBot(bot.bot_id);
      else await app.api.botAction(bot.bot_id, action);
      setAction(null);
      onChange();
    } catch (err) {
      setError((err as Error).message);
      setAction(null);
    } finally {
      setBusy(false);
    }
  };
  const c = action ? CONFIRM[action] : null;
  return (
    <>
      {bot.status === "paused" ? (
        <button type="button" class="btn" onClick={() => setAction("resume")}>
          Resume
        </button>
      ) : (
        <button type="button" class="btn" onClick={() => setAction("pause")} data-testid="pause-bot">
          Pause
        </button>
      )}
      <button type="button" class="btn" onClick={() => setAction("rotate-secret")}>
        Rotate secret
      </button>
      <button type="button" class="btn btn-danger" onClick={() => setAction("remove")} data-testid="remove-bot">
        Remove
      </button>
      {error && <Notice kind="error">{error}</Notice>}
      <ConfirmDialog
        open={c !== null}
        title={c?.title ?? ""}
        message={c?.message ?? ""}
        confirmLabel={c?.label ?? ""}
        danger={c?.danger}
        busy={busy}
        onConfirm={run}
        onCancel={() => setAction(null)}
      />
    </>
  );
}
