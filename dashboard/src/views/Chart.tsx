// Chart.js on a canvas, loaded on demand (only the analytics page pays for it).
import type { Chart as ChartType, ChartConfiguration } from "chart.js";
import { useEffect, useRef } from "preact/hooks";

let loader: Promise<typeof import("./chartjs")> | null = null;

function loadChartJs() {
  loader ??= import("./chartjs");
  return loader;
}

/** Colours from the theme's CSS variables (the canvas cannot read CSS itself). */
export function palette(): { text: string; grid: string; series: string[] } {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    text: v("--text-muted") || "#666",
    grid: v("--border") || "#ddd",
    series: [1, 2, 3, 4, 5, 6].map((i) => v(`--series-${i}`) || "#888"),
  };
}

export function ChartView({ config, label, testId }: { config: ChartConfiguration; label: string; testId?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<ChartType | null>(null);
  useEffect(() => {
    let cancelled = false;
    void loadChartJs().then(({ Chart }) => {
      if (cancelled || !canvas.current) return;
      const colors = palette();
      Chart.defaults.color = colors.text;
      Chart.defaults.borderColor = colors.grid;
      if (chart.current) {
        chart.current.data = config.data;
        chart.current.options = config.options ?? {};
        chart.current.update();
      } else {
        chart.current = new Chart(canvas.current, config);
      }
    });
    return () => {
      cancelled = true;
    };
  }, [config]);
  useEffect(() => () => chart.current?.destroy(), []);
  return (
    <div class="chart-box" data-testid={testId}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
