import path from "node:path";
import type { DeviceRequest } from "../../runtime/model/device-request.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { allowOutsideFromOptions, LIMIT_OPTIONS, LIMIT_OPTIONS_HELP, limitsFromOptions } from "../limits.js";
import { RENDER_OPTIONS, RENDER_OPTIONS_HELP, renderSettings } from "../render-options.js";
import { DEFAULT_DEBOUNCE_MS, DEFAULT_PORT } from "../watch/defaults.js";


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
  // `--serve abc`: the word beside the scene was meant as the port.
  const notScenes = positionals.filter((p) => !/\.scene$/i.test(p));
  if (serve && positionals.length === 2 && notScenes.length === 1) {
    throw new UsageError(`\`${notScenes[0]}\` is not a port: --serve needs a port number from 0 to 65535`, "watch");
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `watch takes one SCENE, not ${positionals.length}` : "watch needs a SCENE file", "watch");
  return { scene: positionals[0]! };
}

export const watchCommand: Command = {
  name: "watch",
  synopsis: "SCENE [-o OUT] [--serve [PORT]] [--steps N] [--seed N] [--noise scenec|torch|philox] [--device auto|cpu|webgpu|cuda] [--verbose] [--batch N] [--decode-memory SIZE] [--keep-history]",
  summary: "render a scene again on every save, with an optional live preview page",
  help: `Renders the scene, then renders it again every time it, a file it imports, one of its guide
images or its scenec.yaml is saved, until Ctrl-C. Saves are debounced: a render starts once the
files have been quiet for ${DEFAULT_DEBOUNCE_MS} ms, so an editor's "save all" or atomic save (a temporary file
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
${RENDER_OPTIONS_HELP}
  --serve [PORT]       serve a live preview page on http://127.0.0.1:PORT/ (default ${DEFAULT_PORT}; 0
                       picks a free port; the port is a word of its own: \`--serve 8080\`): the
                       latest picture, a preview of the render in progress every few steps, and
                       the diagnostics when the scene is broken, updated live
  --keep-history       never clear the screen
${LIMIT_OPTIONS_HELP}
  -h, --help           show this help

It stops cleanly (nothing half-written is left behind) on Ctrl-C, SIGTERM or SIGHUP, when the
process that started it ends, or when its stdin is a pipe and closes; a second signal while it
stops ends it at once.

exit status: 0 when stopped; 2 bad arguments or a scene file that cannot be read at the start;
129 (ended by SIGHUP once stopped: the terminal is gone); 128 + N when a second signal N ended it`,
  options: {
    ...RENDER_OPTIONS,
    serve: { type: "boolean" },
    "keep-history": { type: "boolean" },
    ...LIMIT_OPTIONS,
  },
  async run({ values, positionals }, terminal) {
    const serve = values["serve"] === true;
    const { scene, port } = sceneAndPort(positionals, serve);
    const settings = renderSettings(values, "watch");
    const limits = limitsFromOptions(values, "watch");
    const { runWatch } = await import("../watch/session.js");
    const { loadConfig } = await import("../config.js");
    // The default device and decode memory from scenec.yaml, read once: a broken file is reported by the compile rounds.
    let configured: { device?: DeviceRequest; decodeMemory?: number } = {};
    try {
      configured = loadConfig(path.dirname(scene));
    } catch {
      configured = {};
    }
    const decodeMemory = settings.decodeMemory ?? configured.decodeMemory;
    return runWatch(
      {
        scene,
        ...settings,
        device: settings.device ?? configured.device ?? "auto",
        ...(decodeMemory !== undefined ? { decodeMemory } : {}),
        limits,
        allowOutside: allowOutsideFromOptions(values),
        keepHistory: values["keep-history"] === true,
        ...(serve ? { serve: { port: port ?? DEFAULT_PORT } } : {}),
      },
      terminal,
    );
  },
};
