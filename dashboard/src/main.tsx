// The app page: sign in from a magic link if there is one, else require a session.
import { render } from "preact";
import { boot, showMessage } from "./boot";
import { loginCodeFromHash } from "./lib/query";
import { readTheme } from "./lib/theme";
import { App } from "./views/App";
import { applyTheme } from "./views/theme";
import { AppContext } from "./views/hooks";
import "./styles/app.css";

async function main(root: HTMLElement): Promise<void> {
  applyTheme(readTheme(localStorage));
  let services;
  try {
    services = await boot();
  } catch (error) {
    showMessage(root, "The dashboard could not start", (error as Error).message);
    return;
  }
  const code = loginCodeFromHash(location.hash);
  if (code) {
    // The code is single-use: drop it from the address bar and history at once.
    history.replaceState(null, "", `${location.pathname}${location.search}#/overview`);
    showMessage(root, "Signing you in…", "Checking your sign-in link.");
    try {
      services.signIn(await services.api.signInMagic(code));
    } catch (error) {
      showMessage(root, "That sign-in link did not work", (error as Error).message, { href: "login.html", label: "Get a new link" });
      return;
    }
  }
  if (!services.session.get()) {
    location.replace("login.html");
    return;
  }
  services.session.subscribe((session) => {
    if (!session) location.replace("login.html");
  });
  services.live.start();
  addEventListener("online", () => services.live.retryNow());
  root.replaceChildren();
  render(
    <AppContext.Provider value={services}>
      <App />
    </AppContext.Provider>,
    root,
  );
}

void main(document.getElementById("app")!);
