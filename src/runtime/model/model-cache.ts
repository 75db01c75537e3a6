import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import ort from "onnxruntime-node";

/**
 * A cache of ONNX Runtime's optimised models, so that only the first start with a model pays for
 * graph optimisation (17–42 s for an SD 1.5 UNet) and for scenec's own rewrites of the graph.
 *
 * The first load of a model file asks ONNX Runtime to save the graph it optimised
 * (`optimizedModelFilePath`, weights in an external file beside it); later loads open that file
 * instead of the original, without reading or rewriting the original's bytes.
 *
 * An entry's key is a SHA-256 of everything that decides the optimised graph:
 * - the model file's folder (its real path) and every file in it by name, size and modification
 *   time, not a content hash: hashing 3.4 GB of weights would cost seconds on every start, most of
 *   what the cache saves; replacing or editing a file (a new download, an export) changes its
 *   size or time;
 * - the ONNX Runtime version, the execution providers and the session options;
 * - scenec's rewrite of the graph, if any, by its name, its options and its code (so a change to a
 *   rewrite never loads a graph from the old one);
 * - the CPU model, architecture and platform: graphs optimised at level "all" hold layout
 *   transformations for this CPU's vector width (NCHWc), which ONNX Runtime warns are only valid
 *   where they were made; a cache folder shared between machines keeps one entry per CPU.
 *
 * Entries are written to a hidden temporary folder and renamed into place, so another scenec
 * process, or a crash, never sees half an entry. An entry that fails to load is removed and the
 * model loaded from the original (and cached again). Failure to write the cache is a warning,
 * never a failed load.
 */
export class ModelCache {
  /** Set when the folder could not be written: the load's other model files skip the cache without another warning. */
  private unwritable = false;

  constructor(
    /** The folder the entries live in. */
    readonly folder: string,
  ) {}

  /**
   * An InferenceSession on the optimised form of a model: from the cache when it holds the entry
   * for `identity`, else by `open` (the normal load, given the extra options that make ONNX
   * Runtime save its optimised graph), then stored.
   */
  async session(
    identity: ModelIdentity,
    options: ort.InferenceSession.SessionOptions,
    open: (options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>,
    report: { onWarning?: (message: string) => void; onDiagnostics?: (text: string) => void },
  ): Promise<ort.InferenceSession> {
    let origin: Origin;
    let key: string;
    try {
      origin = originOf(identity);
      key = entryKey(origin, identity, options);
    } catch {
      // The model's folder cannot be listed: the normal load says what is wrong with it.
      return open(options);
    }
    const entry = path.join(this.folder, key);
    const model = path.join(entry, MODEL_FILE);
    if (isFile(model)) {
      try {
        const session = await ort.InferenceSession.create(model, options);
        report.onDiagnostics?.(`${identity.file}: optimised model from the cache, ${entry}\n`);
        return session;
      } catch (error) {
        report.onWarning?.(`the cached optimised model ${model} cannot be loaded (${firstLine((error as Error).message)}); loading ${identity.file} and caching it again`);
        remove(entry);
      }
    }

    if (this.unwritable) return open(options);
    let temp: string;
    try {
      mkdirSync(this.folder, { recursive: true });
      removeStaleTemporaries(this.folder);
      temp = path.join(this.folder, `.${key}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
      mkdirSync(temp);
    } catch (error) {
      this.unwritable = true;
      report.onWarning?.(`cannot write the model cache in ${this.folder} (${firstLine((error as Error).message)}); loading the model without it. ${DISABLE_HINT}`);
      return open(options);
    }
    let session: ort.InferenceSession;
    try {
      session = await open(savingOptions(options, path.join(temp, MODEL_FILE)));
    } catch (saving) {
      remove(temp);
      // Either the model does not load (the plain load throws the same error, which is the one to
      // report) or only saving it failed (a full disk, a provider whose graphs cannot be saved).
      const plain = await open(options);
      report.onWarning?.(`cannot cache the optimised ${identity.file} (${firstLine((saving as Error).message)}); it loads, but is optimised again on every start`);
      return plain;
    }
    try {
      writeFileSync(path.join(temp, SOURCE_FILE), JSON.stringify(origin));
      for (const file of readdirSync(temp)) syncFile(path.join(temp, file));
      pruneEntriesOf(this.folder, origin);
      renameSync(temp, entry);
      report.onDiagnostics?.(`${identity.file}: optimised model cached in ${entry}\n`);
    } catch (error) {
      remove(temp);
      // Another process stored the same entry first: theirs is as good as ours.
      if (!isFile(model)) report.onWarning?.(`cannot write the model cache in ${this.folder} (${firstLine((error as Error).message)}); ${identity.file} will be optimised again on the next start. ${DISABLE_HINT}`);
    }
    return session;
  }
}

/** What a cached model stands for, beyond the session options (see {@link ModelCache}). */
export interface ModelIdentity {
  /** The model file, for messages (`unet/model.onnx`). */
  file: string;
  /** The folder that holds the model file and its external weights. */
  folder: string;
  /** scenec's rewrite of the graph before ONNX Runtime sees it: its name, options and code; undefined when none. */
  rewrite?: string;
}

/** The environment variables that move (`SCENEC_CACHE_DIR`) or switch off (`SCENEC_MODEL_CACHE=off`) the cache. */
export const CACHE_DIR_VARIABLE = "SCENEC_CACHE_DIR";
export const MODEL_CACHE_VARIABLE = "SCENEC_MODEL_CACHE";

const DISABLE_HINT = `Set ${CACHE_DIR_VARIABLE} to a writable folder, or ${MODEL_CACHE_VARIABLE}=off to stop caching`;

/**
 * The model cache the environment asks for: `$SCENEC_CACHE_DIR/models` when set, else the
 * platform's user cache folder (XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS,
 * %LOCALAPPDATA% on Windows) — never the model's own folder, which may be read-only. Undefined when
 * `SCENEC_MODEL_CACHE` is `off` (or `0`, `false`, `no`).
 */
export function modelCacheFromEnvironment(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): ModelCache | undefined {
  if (/^(off|0|false|no)$/i.test(env[MODEL_CACHE_VARIABLE]?.trim() ?? "")) return undefined;
  return new ModelCache(path.join(userCacheFolder(env, platform, home), "models"));
}

/** scenec's folder in the user's cache directory, or `SCENEC_CACHE_DIR`. */
export function userCacheFolder(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): string {
  const override = env[CACHE_DIR_VARIABLE];
  if (override) return path.resolve(override);
  if (platform === "win32") return path.join(env["LOCALAPPDATA"] || path.join(home, "AppData", "Local"), "scenec", "Cache");
  if (platform === "darwin") return path.join(home, "Library", "Caches", "scenec");
  // XDG: a relative XDG_CACHE_HOME is invalid and to be ignored.
  const xdg = env["XDG_CACHE_HOME"];
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, ".cache"), "scenec");
}

const MODEL_FILE = "model.onnx";
const WEIGHTS_FILE = "model.onnx.data";
/** The entry's {@link Origin}. */
const SOURCE_FILE = "source.json";
/** The layout of an entry; a new layout makes new keys. */
const FORMAT = 1;

/** What an entry was made from, written beside it: entries of a model file that has since changed are removed. */
interface Origin {
  folder: string;
  file: string;
  /** A hash of the folder's files' names, sizes and modification times, and of the ONNX Runtime version. */
  files: string;
}

function originOf(identity: ModelIdentity): Origin {
  const folder = realpathSync(identity.folder);
  const files = readdirSync(folder, { withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => {
      const stat = statSync(path.join(folder, f.name));
      return [f.name, stat.size, stat.mtimeMs];
    })
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  return { folder, file: identity.file, files: sha256(JSON.stringify([files, ort.env.versions])) };
}

function entryKey(origin: Origin, identity: ModelIdentity, options: ort.InferenceSession.SessionOptions): string {
  const key = {
    format: FORMAT,
    origin,
    rewrite: identity.rewrite ?? null,
    options,
    cpu: [os.cpus()[0]?.model ?? "", process.arch, process.platform],
  };
  return sha256(JSON.stringify(key)).slice(0, 32);
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** `options` plus ONNX Runtime's settings to save the optimised graph at `file`, its weights beside it. */
function savingOptions(options: ort.InferenceSession.SessionOptions, file: string): ort.InferenceSession.SessionOptions {
  const extra = (options.extra ?? {}) as { session?: Record<string, unknown> };
  return {
    ...options,
    optimizedModelFilePath: file,
    extra: {
      ...extra,
      session: {
        ...extra.session,
        // Weights outside the graph: a protobuf file cannot exceed 2 GB, an SD 1.5 UNet is 3.4 GB.
        optimized_model_external_initializers_file_name: WEIGHTS_FILE,
        optimized_model_external_initializers_min_size_in_bytes: "1024",
      },
    },
  };
}

/**
 * Removes the entries made from an earlier state of the same model file (it was replaced, or ONNX
 * Runtime updated): an SD 1.5 UNet's entry is 3.4 GB, and those would never be used again. Entries
 * of the same file for another device or rewrite stay.
 */
function pruneEntriesOf(cache: string, origin: Origin): void {
  for (const name of readdirSync(cache)) {
    if (name.startsWith(".")) continue;
    try {
      const other = JSON.parse(readFileSync(path.join(cache, name, SOURCE_FILE), "utf8")) as Partial<Origin>;
      if (other.folder === origin.folder && other.file === origin.file && other.files !== origin.files) remove(path.join(cache, name));
    } catch {
      // Not an entry of ours, or one being removed by another process.
    }
  }
}

/** A temporary folder older than this was left by a process that was killed while writing it. */
const STALE_MS = 60 * 60 * 1000;

function removeStaleTemporaries(cache: string): void {
  const now = Date.now();
  for (const name of readdirSync(cache)) {
    if (!(name.startsWith(".") && name.endsWith(".tmp"))) continue;
    const temp = path.join(cache, name);
    try {
      if (now - statSync(temp).mtimeMs > STALE_MS) remove(temp);
    } catch {
      // Removed meanwhile by another process.
    }
  }
}

/** Flushes a file to disk before the entry is renamed into place: a power cut then leaves no complete-looking entry with lost data. */
function syncFile(file: string): void {
  const fd = openSync(file, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes a folder, as far as it can: what is left is retried by a later start, or left for the user to delete. */
function remove(folder: string): void {
  try {
    rmSync(folder, { recursive: true, force: true });
  } catch {
    // In use (Windows) or not ours to delete.
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.slice(0, 200);
}
