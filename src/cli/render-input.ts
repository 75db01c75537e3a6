import { createHash } from "node:crypto";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { PLAN_VERSION, type Plan } from "../compiler/plan/plan.js";
import { validatePlan } from "../compiler/plan/plan-schema.js";
import { planLimitProblem } from "../compiler/plan/plan-limits.js";
import { DEFAULT_LIMITS, maxGuideBytes, type Limits } from "../compiler/host.js";
import { nodeHost, readRegularFile } from "../compiler/node-host.js";
import type { CompilerHost } from "../compiler/compile.js";
import type { PlanOverrides } from "../compiler/plan/plan-overrides.js";
import { KEY_RENDER } from "../runtime/image/png-text.js";
import type { ProjectRules } from "../compiler/check/project-root.js";
import { projectRules } from "./config.js";
import { CliError } from "./errors.js";
import { readTextFile } from "./files.js";
import { embeddedSource } from "./import/embedded-source.js";
import { PNG_FILE, readPngTextFile } from "./import/png-file.js";
import { PLAN_FILE } from "./plan-output.js";
import { countDiagnostics, renderDiagnostics } from "./diagnostic-text.js";
import { parseRenderRecord, type RenderRecord, type SourceKind } from "./render-record.js";
import type { Terminal } from "./terminal.js";

export interface RenderInput {
  plan: Plan;
  /** The folder the plan's relative paths start from. */
  folder: string;
  /** What the PNG records as its source: the scene's text, or the plan file's. */
  source: string;
  sourceKind: SourceKind;
  /** The scene or plan file, then everything it reads (imports, guides): never to be overwritten. */
  files: string[];
  /** The imported scene files' texts, by path relative to the scene (none for a saved plan): recorded in the PNG. */
  imports: Record<string, string>;
  /** The project root rule of the file rendered, which its output follows. */
  rules: ProjectRules;
  /** Where the picture goes without `-o`, instead of the plan's `output` (a PNG's re-render). */
  output?: string;
  /** The command-line overrides the picture was made with (a PNG's re-render): the command line's own win. */
  overrides?: PlanOverrides;
}

/**
 * A render's plan: compiled from a `.scene` (diagnostics printed; undefined when it has errors),
 * read from a saved plan (`.json`, `.yaml`), which must pass the plan schema, or taken from a PNG
 * scenec rendered (`.png`, see loadRenderedPng). A saved plan's
 * guide paths are relative to the plan file (`scenec plan -o` writes them so); they may lead
 * anywhere, since a guide is used only when its content matches the plan's sha256.
 */
export async function loadRenderInput(file: string, limits: Partial<Limits>, terminal: Terminal, allowOutside = false): Promise<RenderInput | undefined> {
  if (PNG_FILE.test(file)) return loadRenderedPng(file, limits, terminal, allowOutside);
  return loadSource(file, readTextFile(file), PLAN_FILE.test(file), limits, terminal, allowOutside);
}

/** Where a re-render of a PNG goes without `-o`: beside it, `photo.png` → `photo.rerender.png`, never the PNG itself. */
export function rerenderPath(png: string): string {
  return png.replace(/(\.png)$/i, ".rerender$1");
}

/**
 * A PNG scenec rendered, rendered again from the source it carries (see embedded-source.ts),
 * compiled as if it were a file beside the PNG named after it (`photo.png.scene`, or
 * `photo.png.plan.yaml` for a saved plan's), so that its imports and guides are found where they
 * were. The picture goes beside the PNG (see {@link rerenderPath}): the source's own `output` was
 * relative to a folder the PNG does not record.
 */
async function loadRenderedPng(file: string, limits: Partial<Limits>, terminal: Terminal, allowOutside: boolean): Promise<RenderInput | undefined> {
  const text = readPngTextFile(file);
  const source = embeddedSource(text);
  if (!source)
    throw new CliError(
      `${file} carries no scenec scene to render (no \`scenec:scene\` text chunk)`,
      `\`scenec import ${file} -o NAME.scene\` turns an A1111 or ComfyUI PNG's parameters into a scene; \`scenec info ${file}\` shows what the PNG carries`,
    );
  const scene = `${file}.${source.plan ? "plan.yaml" : "scene"}`;
  const recorded = renderRecordOf(text);
  const input = await loadSource(scene, source.text, source.plan, limits, terminal, allowOutside, recorded && importsHost(scene, recorded.imports));
  if (!input) return undefined;
  return { ...input, files: [file, ...input.files.slice(1)], output: rerenderPath(file), ...(recorded ? { overrides: recorded.overrides } : {}) };
}

/** The PNG's `scenec:render` record, when it has a readable one (older scenec PNGs have none). */
function renderRecordOf(text: Readonly<Record<string, string>>): RenderRecord | undefined {
  const json = text[KEY_RENDER];
  if (json === undefined) return undefined;
  const parsed = parseRenderRecord(json);
  return "record" in parsed ? parsed.record : undefined;
}

/**
 * The files as they were when the picture was made: an import the PNG recorded is read from the
 * record, not from the disk, where it may have changed since (or be gone); everything else from
 * the disk.
 */
function importsHost(scene: string, imports: Readonly<Record<string, string>>): CompilerHost {
  const folder = path.dirname(path.resolve(scene));
  const recorded = new Map(Object.entries(imports).map(([relative, text]) => [path.resolve(folder, relative), new TextEncoder().encode(text)]));
  return {
    readFile(file) {
      const bytes = recorded.get(path.resolve(file));
      return bytes ? { ok: true, bytes } : nodeHost.readFile(file);
    },
  };
}

/** A scene or a saved plan (`plan`), named `file` in messages and read from `file`'s folder. */
async function loadSource(file: string, text: string, plan: boolean, limits: Partial<Limits>, terminal: Terminal, allowOutside: boolean, host: CompilerHost = nodeHost): Promise<RenderInput | undefined> {
  const folder = path.dirname(file);
  const rules = projectRules(file, allowOutside);
  if (plan) {
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch (error) {
      terminal.stderr.write(`${file}: not a plan: ${(error as Error).message.split("\n")[0]}\n`);
      return undefined;
    }
    const version = (value as { version?: unknown } | null)?.version;
    if (typeof version === "number" && version !== PLAN_VERSION) {
      terminal.stderr.write(`${file}: a plan of format version ${version}, and this scenec reads version ${PLAN_VERSION}: make it again with \`scenec plan SCENE -o ${file}\`\n`);
      return undefined;
    }
    const problems = validatePlan(value);
    if (problems.length) {
      terminal.stderr.write(`${file}: not a valid plan (schema/plan.schema.json):\n${problems.map((p) => `  ${p}`).join("\n")}\n`);
      return undefined;
    }
    // A plan saved before the `noise` setting existed has none: it was drawn with scenec's generator.
    const plan = { noise: "scenec", ...(value as Omit<Plan, "noise">) } as Plan;
    const over = planLimitProblem(plan, { ...DEFAULT_LIMITS, ...limits });
    if (over) {
      terminal.stderr.write(`${file}: the plan is over this render's limits: ${over}\n`);
      return undefined;
    }
    const guides = plan.guides.map((g) => path.join(folder, g.path));
    await checkSavedGuides(file, plan, guides);
    const masks = await checkSavedMasks(file, plan, folder);
    const noiseFile = plan.noiseFile ? [path.join(folder, plan.noiseFile.path)] : [];
    return { plan, folder, source: text, sourceKind: "plan", files: [file, ...guides, ...masks, ...noiseFile], imports: {}, rules };
  }
  const [{ compileText, libraryHasNoPlan }, { importedTexts }] = await Promise.all([import("./compile-file.js"), import("./render-record.js")]);
  const { GuideDecoder } = await import("./guide-check.js");
  const result = await new GuideDecoder().compile((decoding) => compileText(file, text, limits, decoding, allowOutside), host);
  terminal.stderr.write(renderDiagnostics(result.diagnostics, result.sources, terminal));
  if (countDiagnostics(result.diagnostics).errors > 0) return undefined;
  if (result.library) {
    terminal.stderr.write(libraryHasNoPlan(file));
    return undefined;
  }
  if (!result.plan) throw new CliError(`the compiler gave neither a plan nor an error for ${file}`);
  return { plan: result.plan, folder, source: text, sourceKind: "scene", files: [file, ...result.dependencies], imports: importedTexts(result.sources, file), rules };
}

/**
 * A saved plan's mask images, checked before any model loads as its guides are (there, with the
 * content the plan recorded, decodable): the files, for the output check.
 */
async function checkSavedMasks(planFile: string, plan: Plan, folder: string): Promise<string[]> {
  const masks = [...plan.regions, ...plan.guides].flatMap(({ mask }) => (mask ? [mask] : []));
  if (masks.length === 0) return [];
  const { loadPlanMasks } = await import("../runtime/guides/mask-image.js");
  await loadPlanMasks(plan, folder).catch((error: Error) => {
    throw new CliError(`${planFile}: ${error.message}`, `a saved plan's paths are relative to the plan file: write it with \`scenec plan SCENE -o ${planFile}\``);
  });
  return [...new Set(masks.map((m) => path.join(folder, m.path)))];
}

/**
 * A saved plan's guides, checked before any model loads as a scene's are when it is compiled:
 * each is there (a regular file within its recorded size), has the content the plan recorded, and
 * decodes. A saved plan's paths are relative to the plan file (`scenec plan -o` writes them so).
 */
async function checkSavedGuides(planFile: string, plan: Plan, files: readonly string[]): Promise<void> {
  if (plan.guides.length === 0) return;
  const [{ GuideDecoder }, { StaleGuideError }] = await Promise.all([import("./guide-check.js"), import("../runtime/guides/guide-image.js")]);
  const decoder = new GuideDecoder();
  for (const [i, guide] of plan.guides.entries()) {
    const file = files[i]!;
    const pixels = guide.imageSize.width * guide.imageSize.height;
    const read = readRegularFile(file, maxGuideBytes({ maxGuidePixels: pixels }));
    if (!read.ok)
      throw new CliError(
        `${planFile}: guide image \`${guide.path}\` ${read.reason === "missing" ? `is not there (${file})` : `cannot be read (${file}): ${read.message}`}`,
        `a saved plan's paths are relative to the plan file: write it with \`scenec plan SCENE -o ${planFile}\``,
      );
    if (createHash("sha256").update(read.bytes).digest("hex") !== guide.sha256)
      throw new CliError(new StaleGuideError(file).message);
    const problem = await decoder.problemOf({ bytes: read.bytes, sha256: guide.sha256, pixels });
    if (problem !== undefined) throw new CliError(`${planFile}: guide image \`${guide.path}\` is damaged: ${problem}`, "export or download the image again, then plan the scene again");
  }
}
