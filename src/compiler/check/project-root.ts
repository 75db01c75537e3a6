import path from "node:path";
import { formatBytes, type CompilerHost, type ReadResult } from "../host.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { Span } from "../diagnostics/span.js";

/**
 * The project root rule: the paths a scene writes (`import`, `guide`, `output`) stay inside its
 * project root, so that rendering a scene from a stranger reads and writes only the files of its
 * own project. Pure path arithmetic; symbolic links are followed through the host.
 */
export interface ProjectRules {
  /** The folder of the nearest scenec.yaml, else the scene's own folder. */
  root: string;
  /** The scenec.yaml that makes `root` the root, for messages; undefined when `root` is the scene's folder. */
  configFile?: string;
  /** Where else paths may go: scenec.yaml's `allow-outside` folders, or anywhere (`--allow-outside`). */
  outside: "anywhere" | readonly string[];
}

/** The rules when nobody says otherwise: the scene's own folder, nothing outside it. */
export function sceneFolderRules(sceneFile: string): ProjectRules {
  return { root: path.dirname(path.resolve(sceneFile)), outside: [] };
}

/** The file formats `output` and `-o` may name, by extension; the renderer writes each with sharp. */
const IMAGE_FORMATS = { ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp" } as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[keyof typeof IMAGE_FORMATS];
export const IMAGE_EXTENSIONS = Object.keys(IMAGE_FORMATS).join(", ");

/** The format a file name asks for (case-insensitive), or undefined when it is not an image name. */
export function imageFormatOf(file: string): ImageFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  return Object.hasOwn(IMAGE_FORMATS, ext) ? IMAGE_FORMATS[ext as keyof typeof IMAGE_FORMATS] : undefined;
}

/**
 * `file` as plans and messages write it: `/`-separated, relative to the scene's folder, whatever
 * the machine and however the scene's path was typed (`scenes/x.scene`, or `x.scene` inside `scenes/`).
 */
export function relativeToScene(sceneFile: string, file: string): string {
  return path.relative(path.dirname(path.resolve(sceneFile)), path.resolve(file)).split(path.sep).join("/");
}

/** True when `file` is `folder` or inside it (both resolved against the working folder). */
function isInside(folder: string, file: string): boolean {
  const relative = path.relative(path.resolve(folder), path.resolve(file));
  return relative === "" || (!relative.startsWith(`..${path.sep}`) && relative !== ".." && !path.isAbsolute(relative));
}

/** True when the rules let a path reach `file`: lexically, and again with symbolic links resolved. */
export function allowedBy(rules: ProjectRules, file: string, host?: Pick<CompilerHost, "realPath">): boolean {
  if (rules.outside === "anywhere") return true;
  const folders = [rules.root, ...rules.outside];
  if (!folders.some((folder) => isInside(folder, file))) return false;
  if (!host?.realPath) return true;
  const real = host.realPath(path.resolve(file));
  return folders.some((folder) => isInside(host.realPath!(path.resolve(folder)), real));
}

/** Where the root comes from, for help texts. */
export function rootDescription(rules: ProjectRules): string {
  return rules.configFile ? `the folder of \`${rules.configFile}\`` : "the scene's own folder (no scenec.yaml above it)";
}

/** How to let a scene reach outside its root, for help texts. */
export const ALLOW_OUTSIDE_HELP = "if you trust the scene, pass `--allow-outside`, or list the folder under `allow-outside:` in scenec.yaml";

export type PathUse = "import" | "guide" | "mask" | "noise" | "output";

/**
 * Resolves a path written in `file` (relative to that file's folder) and checks it against the
 * rules: an absolute path is S3011, a path that leaves the project root S3007, each reported at
 * `span`. Returns the resolved path, or undefined when it was refused.
 */
export function resolveScenePath(reporter: Reporter, rules: ProjectRules, host: CompilerHost, use: PathUse, file: string, written: string, span: Span): string | undefined {
  if (path.isAbsolute(written) || path.win32.isAbsolute(written)) {
    reporter.report("S3011", span, { path: written, use, relativeTo: path.basename(file) });
    return undefined;
  }
  const target = path.normalize(path.join(path.dirname(file), written));
  if (!allowedBy(rules, target, host)) {
    reporter.report("S3007", span, { path: written, use, root: rootDescription(rules), allowOutside: ALLOW_OUTSIDE_HELP });
    return undefined;
  }
  return target;
}

/**
 * Reads a file through the host within `maxBytes`. A read that fails because the file is not a
 * regular file (S3008) or is too large (S3009) is reported at `span`; the other failures (missing,
 * unreadable) are returned for the caller to report with its own code.
 */
export function readWithin(reporter: Reporter, host: CompilerHost, use: Exclude<PathUse, "output">, file: string, maxBytes: number, written: string, span: Span): ReadResult {
  const read = host.readFile(file, maxBytes);
  // A host that does not check the limit itself is held to it here.
  const result: ReadResult = read.ok && read.bytes.length > maxBytes ? { ok: false, reason: "too-large", message: `is ${formatBytes(read.bytes.length)}, over the limit of ${formatBytes(maxBytes)}` } : read;
  if (!result.ok && result.reason === "not-a-file")
    reporter.report("S3008", span, { use, path: written, why: result.message });
  else if (!result.ok && result.reason === "too-large")
    reporter.report("S3009", span, { use, path: written, why: result.message });
  return result;
}

/** The one of `sources` that `file` is (the same path, or the same file through a link), if any. */
export function sourceAt(file: string, sources: readonly string[], host?: Pick<CompilerHost, "realPath">): string | undefined {
  const real = (p: string) => (host?.realPath ? host.realPath(path.resolve(p)) : path.resolve(p));
  const target = real(file);
  return sources.find((source) => path.resolve(source) === path.resolve(file) || real(source) === target);
}

/** `the scene file itself`, or `` `styles.scene`, a file the scene reads `` (the path as `show` writes it). */
export function describeSource(source: string, sources: readonly string[], show: (file: string) => string = (file) => file): string {
  return source === sources[0] ? "the scene file itself" : `\`${show(source)}\`, a file the scene reads`;
}

/** What is wrong with an output file name (not an image name, or one of the scene's own files), or undefined. */
export function outputNameProblem(
  file: string,
  sources: readonly string[],
  host?: Pick<CompilerHost, "realPath">,
  show?: (file: string) => string,
): { code: "S3010" | "S3012"; message: string } | undefined {
  if (imageFormatOf(file) === undefined)
    return { code: "S3010", message: `${path.extname(file) ? `\`${path.extname(file)}\` is not` : "a name without an extension is not"} a picture format scenec writes: end it with one of ${IMAGE_EXTENSIONS}` };
  const source = sourceAt(file, sources, host);
  if (source !== undefined) return { code: "S3012", message: `it is ${describeSource(source, sources, show)}; rendering would overwrite it` };
  return undefined;
}

/**
 * The scene's `output` setting: inside the project root (S3007, S3011), an image file name
 * (S3010), and not the scene or a file it imports or guides with (S3012). `sources` starts with
 * the scene file.
 */
export function checkOutputSetting(reporter: Reporter, rules: ProjectRules, host: CompilerHost, sceneFile: string, written: string, span: Span, sources: readonly string[]): void {
  const file = resolveScenePath(reporter, rules, host, "output", sceneFile, written, span);
  if (file === undefined) return;
  const problem = outputNameProblem(file, sources, host, (source) => relativeToScene(sceneFile, source));
  if (problem)
    if (problem.code === "S3010") reporter.report("S3010", span, { path: written, problem: problem.message, stem: path.basename(written, path.extname(written)) });
    else reporter.report("S3012", span, { path: written, problem: problem.message });
}
