import type { Command, OptionValues } from "../command.js";
import { UsageError } from "../errors.js";
import { LIMIT_OPTIONS, LIMIT_OPTIONS_HELP, limitsFromOptions } from "../limits.js";

const DEVICES = ["cpu", "cuda"] as const;
/** Kept in step with watch/session.ts and watch/preview-server.ts (imported only when the command runs). */
const DEBOUNCE_MS = 150;
const DEFAULT_PORT = 4750;

function integerOption(values: OptionValues, name: string, min: number, max: number): number | undefined {
  const raw = values[name];
  if (typeof raw !== "string") return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) throw new UsageError(`--${name} needs a whole number from ${min} to ${max}, not \`${raw}\``, "watch");
  return value;
}

/**
 * `--serve` is a flag with an optional PORT after it (`--serve`, `--serve 8080`): parseArgs has no
 * optional values, so the port arrives as a second positional, a whole number.
 */
function sceneAndPort(positionals: string[], serve: boolean): { scene: string; port?: number } {
  const ports = positionals.filter((p) => /^\d+$/.test(p));
  if (serve && positionals.length === 2 && ports.length === 1) {
    const port = Number(ports[0]);
    if (port > 65535) throw new UsageError(`--serve needs a port from 0 to 65535, not \`${ports[0]}\``, "watch");
    return { scene: positionals.find((p) => p !== ports[0])!, port };
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `watch takes one SCENE, not ${positionals.length}` : "watch needs a SCENE file", "watch");
  return { scene: positionals[0]! };
}

export const watchCommand: Command = {
  name: "watch",
  synopsis: "SCENE [-o OUT] [--serve [PORT]] [--steps N] [--seed N] [--device cpu|cuda] [--batch N] [--keep-history]",
  summary: "render a scene again on every save, with an optional live preview page",
  help: `Renders the scene, then renders it again every time it, a file it imports, one of its guide
images or its scenec.yaml is saved, until Ctrl-C. Saves are debounced: a render starts once the
files have been quiet for ${DEBOUNCE_MS} ms, so an editor's "save all" or atomic save (a temporary file
renamed over the original) is one change. One render runs at a time and the newest save wins: a
save during a render stops it at its next step and starts over. The model, the prompts' text
embeddings and the encoded guide images stay loaded between renders.

The PNG is written atomically (as \`scenec render\` writes it). When a save breaks the scene, its
diagnostics are printed, the last good PNG is left as it is, and the status says it is stale and
why. A deleted file is reported and picked up again when it comes back.

Status lines on stderr, stable for editors' problem matchers:
  [watch] render started
  [watch] render finished in 812 ms -> out.png (...)
  [watch] render failed: REASON
  [watch] scene has errors (N errors): out.png is stale: ...
On a terminal the screen is cleared before each round, unless --keep-history is given.

options:
  -o, --output OUT     where to write the PNG (default: the scene's \`output\`, else the scene's
                       name with .png, beside it)
  --serve [PORT]       serve a live preview page on http://127.0.0.1:PORT/ (default ${DEFAULT_PORT}; 0
                       picks a free port; the port is a word of its own: \`--serve 8080\`): the
                       latest picture, a preview of the render in progress every few steps, and
                       the diagnostics when the scene is broken, updated live
  --steps N            denoising steps, overriding the scene's (1 to 1000)
  --seed N             the seed, overriding the scene's (0 to 2^53 - 1)
  --device D           cpu (default) or cuda (needs ONNX Runtime's CUDA provider; see README)
  --batch N            evaluate up to N same-size regions per UNet call (default 1)
  --keep-history       never clear the screen
${LIMIT_OPTIONS_HELP}
  -h, --help           show this help

exit status: 0 when stopped with Ctrl-C (nothing half-written is left behind); 2 bad arguments
or a scene file that cannot be read at the start`,
  options: {
    output: { type: "string", short: "o" },
    serve: { type: "boolean" },
    steps: { type: "string" },
    seed: { type: "string" },
    device: { type: "string" },
    batch: { type: "string" },
    "keep-history": { type: "boolean" },
    ...LIMIT_OPTIONS,
  },
  async run({ values, positionals }, terminal) {
    const serve = values["serve"] === true;
    const { scene, port } = sceneAndPort(positionals, serve);
    const device = (values["device"] ?? "cpu") as string;
    if (!(DEVICES as readonly string[]).includes(device)) throw new UsageError(`--device must be cpu or cuda, not \`${device}\``, "watch");
    const steps = integerOption(values, "steps", 1, 1000);
    const seed = integerOption(values, "seed", 0, Number.MAX_SAFE_INTEGER);
    const batch = integerOption(values, "batch", 1, 1024) ?? 1;
    const limits = limitsFromOptions(values, "watch");
    const { runWatch } = await import("../watch/session.js");
    return runWatch(
      {
        scene,
        ...(typeof values["output"] === "string" ? { output: values["output"] } : {}),
        ...(steps !== undefined ? { steps } : {}),
        ...(seed !== undefined ? { seed } : {}),
        device: device as "cpu" | "cuda",
        batch,
        limits,
        keepHistory: values["keep-history"] === true,
        ...(serve ? { serve: { port: port ?? DEFAULT_PORT } } : {}),
      },
      terminal,
    );
  },
};
