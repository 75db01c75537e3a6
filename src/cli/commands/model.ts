import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Command } from "../command.js";
import { CliError, describeFsError, UsageError } from "../errors.js";
import { writeFileAtomic } from "../files.js";

export const modelCommand: Command = {
  name: "model",
  synopsis: "export-builtin DIR | vocabulary",
  summary: "the built-in model: write it as an ONNX model folder, or list its words",
  help: `\`scenec model export-builtin DIR\` writes the built-in model (the exact denoiser for the
vocabulary in src/runtime/builtin/vocabulary.ts) as a model folder in the diffusers-ONNX layout:
model_index.json, scheduler/, tokenizer/, text_encoder/, unet/, vae_encoder/ and vae_decoder/.
A scene can then name it like any model (\`model "DIR"\`), and other ONNX tools can open it.

\`scenec model vocabulary\` lists the words the built-in model knows and what each one paints;
a prompt's colour and texture are the weighted average of its words', and modifiers add up.

options:
  -h, --help           show this help

exit status: 0 written, 2 bad arguments or a folder that cannot be written`,
  options: {},
  async run({ positionals }, terminal) {
    const [action, dir, ...rest] = positionals;
    if (action === "vocabulary") {
      if (dir !== undefined) throw new UsageError("vocabulary takes no arguments", "model");
      const { vocabularyTable } = await import("../../runtime/builtin/vocabulary.js");
      terminal.stdout.write(vocabularyTable());
      return 0;
    }
    if (action !== "export-builtin") throw new UsageError(action ? `unknown model action \`${action}\`; the actions are \`export-builtin DIR\` and \`vocabulary\`` : "model needs an action: `export-builtin DIR` or `vocabulary`", "model");
    if (!dir || rest.length) throw new UsageError("export-builtin takes one folder: `scenec model export-builtin DIR`", "model");
    const { builtinModelFiles } = await import("../../runtime/builtin/builtin-model.js");
    const files = builtinModelFiles();
    for (const [relative, bytes] of files) {
      const target = path.join(dir, relative);
      try {
        mkdirSync(path.dirname(target), { recursive: true });
      } catch (error) {
        throw new CliError(`cannot create ${path.dirname(target)}: ${describeFsError(error)}`);
      }
      writeFileAtomic(target, bytes);
    }
    terminal.stderr.write(`wrote the built-in model (${files.size} files) to ${dir}\n`);
    return 0;
  },
};
