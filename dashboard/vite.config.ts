import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Two pages: the app (strict CSP) and the sign-in page, whose CSP also allows Telegram's
// Login Widget script and frame. config.json is not part of the build: the local stack
// serves it and the deploy uploads it next to index.html.
export default defineConfig({
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // Everything (CSS included) in files: a CSP without 'unsafe-inline' must hold.
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL("./index.html", import.meta.url)),
        login: fileURLToPath(new URL("./login.html", import.meta.url)),
      },
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
