// The composition root of the app: config → API client → stores → live controller.
import { ApiClient } from "./api/client";
import { NezukoApi } from "./api/endpoints";
import type { EventItem, Overview } from "./api/types";
import type { DashboardConfig } from "./config";
import { createLiveController, type LiveController } from "./live/controller";
import type { LiveStatus } from "./live/socket";
import { applyToOverview, changesGroups } from "./state/feed";
import { clearSession, readSession, writeSession } from "./state/session";
import { createStore, type Store } from "./state/store";
import type { Session } from "./api/types";

export interface Services {
  config: DashboardConfig;
  api: NezukoApi;
  session: Store<Session | null>;
  feed: Store<EventItem[]>;
  liveStatus: Store<LiveStatus>;
  overview: Store<Overview | null>;
  live: LiveController;
  signIn(session: Session): void;
  signOut(): Promise<void>;
}

export function createServices(config: DashboardConfig, storage: Storage): Services {
  const session = createStore<Session | null>(readSession(storage, Date.now() / 1000));
  const feed = createStore<EventItem[]>([]);
  const overview = createStore<Overview | null>(null);
  const liveStatus = createStore<LiveStatus>({ state: "idle", attempt: 0, retryAt: null, reason: null });

  const dropSession = () => {
    clearSession(storage);
    session.set(null);
  };
  const http = new ApiClient({
    baseUrl: config.apiUrl,
    token: () => session.get()?.token ?? null,
    onUnauthorized: () => {
      live.stop();
      dropSession();
    },
  });
  const api = new NezukoApi(http);
  const live = createLiveController({
    url: config.websocketUrl,
    getTicket: async () => (await api.ticket()).ticket,
    fetchSince: (since) => api.events({ since, limit: 50 }),
    feed,
    status: liveStatus,
    onUnauthorized: dropSession,
  });
  live.onNew((event) => {
    if (changesGroups(event)) {
      // Protected groups and channels are recounted by the server, not guessed here.
      api.overview().then((fresh) => overview.set(() => fresh), () => undefined);
      return;
    }
    overview.set((current) => (current ? applyToOverview(current, event) : current));
  });

  return {
    config,
    api,
    session,
    feed,
    liveStatus,
    overview,
    live,
    signIn(next) {
      writeSession(storage, next);
      session.set(next);
    },
    async signOut() {
      live.stop();
      try {
        await api.logout();
      } catch {
        // the session is dropped here either way
      }
      feed.set([]);
      overview.set(null);
      dropSession();
    },
  };
}
