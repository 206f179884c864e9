import { useState } from "preact/hooks";
import { formatTime } from "../lib/format";
import type { ThemeChoice } from "../lib/theme";
import { useApp, useAsync } from "./hooks";
import { ErrorBox, Loading, PageHeader } from "./ui";

export function SettingsPage({ theme, onTheme }: { theme: ThemeChoice; onTheme: (t: ThemeChoice) => void }) {
  const app = useApp();
  const me = useAsync(() => app.api.me(), []);
  const [busy, setBusy] = useState(false);
  return (
    <section>
      <PageHeader title="Settings" />
      <div class="grid-2">
        <fieldset class="card form">
          <legend>Theme</legend>
          {(["system", "light", "dark"] as const).map((t) => (
            <label class="field check" key={t}>
              <input type="radio" name="theme" value={t} checked={theme === t} onChange={() => onTheme(t)} data-testid={`theme-${t}`} />
              <span>{t === "system" ? "Same as the system" : t === "light" ? "Light" : "Dark"}</span>
            </label>
          ))}
        </fieldset>
        <section class="card" aria-labelledby="account-title">
          <h2 id="account-title">Account</h2>
          {me.error ? (
            <ErrorBox error={me.error} onRetry={me.reload} />
          ) : !me.data ? (
            <Loading />
          ) : (
            <dl class="facts" data-testid="account">
              <dt>Telegram user id</dt>
              <dd class="mono">{me.data.operator_id}</dd>
              <dt>Bots</dt>
              <dd>{me.data.bots}</dd>
              <dt>Session ends</dt>
              <dd>{formatTime(me.data.session_expires_at)}</dd>
              <dt>Login bot</dt>
              <dd>{me.data.login_bot_username ? `@${me.data.login_bot_username}` : "—"}</dd>
              <dt>Stage</dt>
              <dd>{app.config.stage || "—"}</dd>
            </dl>
          )}
          <button
            type="button"
            class="btn btn-danger"
            disabled={busy}
            data-testid="sign-out"
            onClick={async () => {
              setBusy(true);
              await app.signOut();
            }}
          >
            Sign out
          </button>
        </section>
      </div>
    </section>
  );
}
