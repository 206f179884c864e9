// Applies the theme choice to <html data-theme> (CSS variables do the rest).
import { resolveTheme, type ThemeChoice } from "../lib/theme";

export function applyTheme(choice: ThemeChoice): void {
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = resolveTheme(choice, dark);
}
