import { useEffect, useState } from "preact/hooks";
import { parseRoute, type Route } from "../lib/route";
import { readTheme, saveTheme, type ThemeChoice } from "../lib/theme";
import { applyTheme } from "./theme";
import { AnalyticsPage } from "./Analytics";
import { BotDetailPage, BotsPage } from "./Bots";
import { ChannelsPage } from "./Channels";
import { EventsPage } from "./Events";
import { GroupDetailPage } from "./GroupDetail";
import { GroupsPage } from "./Groups";
import { useApp, useStore } from "./hooks";
import { OverviewPage } from "./Overview";
import { SettingsPage } from "./Settings";
import { Empty, LiveBadge } from "./ui";

const NAV: { page: Route["page"]; label: string; also?: Route["page"][] }[] = [
  { page: "overview", label: "Overview" },
  { page: "analytics", label: "Analytics" },
  { page: "groups", label: "Groups", also: ["group"] },
  { page: "channels", label: "Channels" },
  { page: "bots", label: "Bots", also: ["bot"] },
  { page: "events", label: "Events" },
  { page: "audit", label: "Audit log" },
  { page: "settings", label: "Settings" },
];

function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  return route;
}

export function App() {
  const app = useApp();
  const route = useRoute();
  const status = useStore(app.liveStatus);
  const [theme, setTheme] = useState<ThemeChoice>(readTheme(localStorage));
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    applyTheme(theme);
    const media = matchMedia("(prefers-color-scheme: dark)");
    const onChange = () => applyTheme(theme);
    media.addEventListener("change", onChange);
    return () => media.removeEventListener("change", onChange);
  }, [theme]);
  useEffect(() => {
    setMenuOpen(false);
    // move focus to the new page's heading, for keyboard and screen-reader users
    requestAnimationFrame(() => document.querySelector<HTMLElement>("[data-page-title]")?.focus({ preventScroll: true }));
    const title = NAV.find((n) => n.page === route.page || n.also?.includes(route.page))?.label;
    document.title = title ? `${title} · Nezuko` : "Nezuko";
  }, [route]);

  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header class="topbar">
        <button
          type="button"
          class="menu-btn"
          aria-expanded={menuOpen}
          aria-controls="nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          <span aria-hidden="true">☰</span>
          <span class="sr-only">Menu</span>
        </button>
        <a class="brand" href="#/overview">
          Nezuko
        </a>
        <LiveBadge status={status} onRetry={() => app.live.retryNow()} />
      </header>
      <nav id="nav" class={menuOpen ? "sidebar open" : "sidebar"} aria-label="Main">
        <ul>
          {NAV.map((item) => {
            const active = route.page === item.page || !!item.also?.includes(route.page);
            return (
              <li key={item.page}>
                <a href={`#/${item.page}`} aria-current={active ? "page" : undefined} class={active ? "active" : undefined}>
                  {item.label}
                </a>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" class="main" tabIndex={-1}>
        <Page route={route} theme={theme} onTheme={(t) => (saveTheme(localStorage, t), setTheme(t))} />
      </main>
    </div>
  );
}

function Page({ route, theme, onTheme }: { route: Route; theme: ThemeChoice; onTheme: (t: ThemeChoice) => void }) {
  switch (route.page) {
    case "overview":
      return <OverviewPage />;
    case "analytics":
      return <AnalyticsPage />;
    case "groups":
      return <GroupsPage />;
    case "group":
      return <GroupDetailPage key={`${route.botId}:${route.chatId}`} botId={route.botId} chatId={route.chatId} />;
    case "channels":
      return <ChannelsPage />;
    case "bots":
      return <BotsPage />;
    case "bot":
      return <BotDetailPage key={route.botId} botId={route.botId} />;
    case "events":
      return <EventsPage key="events" />;
    case "audit":
      return <EventsPage key="audit" audit />;
    case "settings":
      return <SettingsPage theme={theme} onTheme={onTheme} />;
    default:
      return (
        <Empty>
          This page does not exist. <a href="#/overview">Go to the overview</a>.
        </Empty>
      );
  }
}
