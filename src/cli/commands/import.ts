import path from "node:path";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";

export const importCommand: Command = {
  name: "import",
  synopsis: "IMAGE.png [-o OUT.scene]",
  summary: "turn a PNG into a scene: scenec's own, or A1111's and ComfyUI's generation parameters",
  help: `Writes a scene from what a PNG says about how it was made:

  - a PNG scenec rendered: the scene it was rendered from, exactly as it was written
  - an AUTOMATIC1111 (or Forge) PNG, its \`parameters\` text: the size (rounded to a multiple of
    8), prompt, negative prompt, steps, sampler and schedule type, CFG scale, seed and RNG
    (CPU: \`noise torch\`; GPU and NV: \`noise philox\`); the model as a commented-out
    \`model\` line, for a name you give it in scenec.yaml
  - a ComfyUI PNG, its \`prompt\` graph, where it is a plain txt2img (CheckpointLoaderSimple,
    two CLIPTextEncode, EmptyLatentImage, one KSampler, VAEDecode): the same settings, with
    \`noise torch\` (ComfyUI's noise is torch's, on the CPU)

What has no scenec equivalent (a hires fix, denoising strength, clip skip, a VAE, LoRA hashes,
an unknown sampler, other nodes …) is listed in comments at the top of the scene and as
warnings on stderr. Prompt weights such as \`(red:1.5)\` are kept as written.

options:
  -o, --output F.scene  write the scene to F.scene (atomically) instead of stdout; never the PNG
  -h, --help            show this help

exit status: 0 the scene was written (warnings allowed), 1 the PNG has nothing to import (no
scene, no A1111 or ComfyUI parameters, or a ComfyUI graph that is not a plain txt2img), 2 bad
arguments, or a file that cannot be read or written or is not a PNG`,
  options: {
    output: { type: "string", short: "o" },
  },
  async run({ values, positionals }, terminal) {
    if (positionals.length === 0) throw new UsageError("import needs an IMAGE.png", "import");
    if (positionals.length > 1) throw new UsageError(`import takes one IMAGE, not ${positionals.length}`, "import");
    const file = positionals[0]!;
    const output = typeof values["output"] === "string" ? values["output"] : undefined;
    if (output !== undefined && path.resolve(output) === path.resolve(file)) throw new UsageError(`-o ${output} is the PNG itself; name a .scene file`, "import");
    const [{ readPngTextFile }, { importPng }, { ImportError }, { writeFileAtomic }] = await Promise.all([
      import("../import/png-file.js"),
      import("../import/png-import.js"),
      import("../import/import-error.js"),
      import("../files.js"),
    ]);
    const text = readPngTextFile(file);
    let imported;
    try {
      imported = importPng(text, path.basename(file));
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      terminal.stderr.write(`${file}: nothing to import: ${error.message}\n`);
      return 1;
    }
    for (const warning of imported.warnings) terminal.stderr.write(`${file}: warning: ${warning}\n`);
    if (output === undefined) terminal.stdout.write(imported.scene);
    else {
      writeFileAtomic(output, imported.scene);
      terminal.stderr.write(`wrote ${output}\n`);
    }
    return 0;
  },
};
