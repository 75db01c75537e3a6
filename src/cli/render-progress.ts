import cliProgress from "cli-progress";
import type { RenderProgress } from "../runtime/render.js";
import type { Terminal } from "./terminal.js";

export interface ProgressDisplay {
  update(progress: RenderProgress): void;
  /** A message that must not be garbled by the bar. */
  log(line: string): void;
  stop(): void;
}

function seconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}:${String(Math.round(s % 60)).padStart(2, "0")}` : `${s.toFixed(s < 10 ? 1 : 0)} s`;
}

/**
 * Render progress on stderr: a live bar (step, tiles, it/s, ETA) on a terminal, and plain lines
 * (every tenth of the steps, and the decode) when stderr is a pipe or a file.
 */
export function progressDisplay(terminal: Terminal): ProgressDisplay {
  const started = performance.now();
  // Rates are measured from the first progress report of the denoising (its time and how far
  // it had got), so the work before it (loading, the first UNet call) does not skew them.
  let first: { at: number; fraction: number } | undefined;
  let lastDecile = -1;
  const rateAndEta = (fraction: number, steps: number) => {
    first ??= { at: performance.now(), fraction };
    const elapsed = (performance.now() - first.at) / 1000;
    const done = fraction - first.fraction;
    const rate = elapsed > 0 && done > 0 ? (done * steps) / elapsed : NaN;
    const eta = rate > 0 ? ((1 - fraction) * steps) / rate : Infinity;
    return { rate, eta };
  };
  const perSecond = (rate: number) => (Number.isFinite(rate) ? `${rate.toFixed(2)} it/s` : "? it/s");

  if (terminal.stderr.isTTY !== true) {
    return {
      update(p) {
        if (p.phase === "denoise" && p.step) {
          const { step, steps, tile, tiles } = p.step;
          if (tile !== tiles) return;
          const decile = Math.floor(((step + 1) * 10) / steps);
          if (decile === lastDecile && step + 1 !== steps) return;
          lastDecile = decile;
          const { rate, eta } = rateAndEta((step + 1) / steps, steps);
          terminal.stderr.write(`step ${step + 1}/${steps}${Number.isFinite(rate) ? `, ${perSecond(rate)}, ETA ${seconds(eta)}` : ""}\n`);
        } else if (p.phase === "decode" && p.done === p.total) terminal.stderr.write(`decoded ${p.total} tile${p.total === 1 ? "" : "s"}\n`);
      },
      log: (line) => terminal.stderr.write(`${line}\n`),
      stop() {},
    };
  }

  const bar = new cliProgress.SingleBar(
    {
      stream: terminal.stderr as NodeJS.WritableStream,
      format: "{phase} |{bar}| {detail}",
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { phase: "encoding prompts", detail: "" });
  return {
    update(p) {
      if (p.phase === "denoise" && p.step) {
        const { step, steps, tile, tiles } = p.step;
        const fraction = (step + tile / tiles) / steps;
        const { rate, eta } = rateAndEta(fraction, steps);
        bar.update(fraction, { phase: "denoising", detail: `step ${step + 1}/${steps} · tile ${tile}/${tiles} · ${perSecond(rate)} · ETA ${seconds(eta)}` });
      } else if (p.phase === "decode" && p.total) {
        bar.update(p.done! / p.total, { phase: "decoding", detail: `tile ${p.done}/${p.total} · ${seconds((performance.now() - started) / 1000)} so far` });
      }
    },
    log(line) {
      terminal.stderr.write(`\r\x1b[2K${line}\n`);
    },
    stop: () => bar.stop(),
  };
}
