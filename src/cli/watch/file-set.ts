import path from "node:path";
import { watch, type FSWatcher } from "chokidar";

export type FileEvent = "add" | "change" | "unlink";

/**
 * The files `scenec watch` keeps an eye on: the scene, what it imports, its guide and mask images and the
 * scenec.yaml it reads, watched with chokidar. The set is replaced after every compile (imports
 * and guides come and go as the scene is edited); files that do not exist yet are watched too
 * (chokidar watches their folder) and reported as `add` when they appear.
 *
 * chokidar's `atomic` option turns an editor's atomic save (write a temporary file, rename it over
 * the original; or delete and re-create within 100 ms) into one `change`. A file deleted for good
 * is reported once (`unlink`) and then watched again as a file that does not exist, so that it is
 * picked up when it comes back (chokidar would otherwise keep watching the deleted file's inode).
 */
export class FileSet {
  private readonly watcher: FSWatcher;
  private readonly files = new Set<string>();
  private readonly ready: Promise<void>;

  constructor(
    files: readonly string[],
    private readonly onEvent: (event: FileEvent, file: string) => void,
    onError: (error: Error) => void = () => {},
  ) {
    for (const file of files) this.files.add(path.resolve(file));
    this.watcher = watch([...this.files], { ignoreInitial: true, atomic: true, persistent: true });
    this.ready = new Promise((resolve) => this.watcher.once("ready", () => resolve()));
    this.watcher.on("all", (event, file) => {
      if (event !== "add" && event !== "change" && event !== "unlink") return;
      const absolute = path.resolve(file);
      if (!this.files.has(absolute)) return;
      if (event === "unlink") {
        this.watcher.unwatch(absolute);
        this.watcher.add(absolute);
      }
      this.onEvent(event, absolute);
    });
    this.watcher.on("error", (error) => onError(error instanceof Error ? error : new Error(String(error))));
  }

  /** Resolves when the first files are being watched. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** The files watched now (absolute paths), sorted. */
  list(): string[] {
    return [...this.files].sort();
  }

  /** Replaces the set: starts watching new files and stops watching those no longer used. */
  update(files: readonly string[]): void {
    const next = new Set(files.map((f) => path.resolve(f)));
    const removed = [...this.files].filter((f) => !next.has(f));
    const added = [...next].filter((f) => !this.files.has(f));
    for (const f of removed) this.files.delete(f);
    for (const f of added) this.files.add(f);
    if (removed.length) this.watcher.unwatch(removed);
    if (added.length) this.watcher.add(added);
  }

  close(): Promise<void> {
    return this.watcher.close();
  }
}
