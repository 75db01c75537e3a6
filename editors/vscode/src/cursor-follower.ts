/** The language server's request (src/lsp/region-at-cursor.ts): what of the picture the cursor's block paints. */
export const REGION_AT_CURSOR = "scenec/regionAtCursor";

/** A position as LSP counts it: line and UTF-16 character, from 0. */
export interface CursorPosition {
  line: number;
  character: number;
}

/** What the preview page outlines: the server's answer without its range. */
export interface HighlightTarget {
  kind: "region" | "grid" | "cell" | "guide";
  name: string;
  guide?: number;
}

/** The server's answer, as far as the preview needs it. */
export type RegionAtCursorAnswer = (HighlightTarget & { range?: unknown }) | null;

export interface CursorFollowerOptions {
  /** How long the cursor must rest before the server is asked: arrow keys held down ask once. */
  delayMs: number;
  ask(uri: string, position: CursorPosition): Promise<RegionAtCursorAnswer>;
  /** Shows `target` (null: nothing) in the preview of `scene`. */
  show(scene: string, target: HighlightTarget | null): void;
}

/**
 * Follows the cursor in the scenes whose preview is open: after each pause it asks the language
 * server what the cursor is in, and tells the preview when that changes. Only the latest
 * question's answer is shown (an answer the cursor has moved past is dropped); a server that
 * cannot answer (stopped, restarting) shows nothing new.
 */
export class CursorFollower {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private asked = 0;
  private readonly shown = new Map<string, string>();

  constructor(private readonly options: CursorFollowerOptions) {}

  /** The cursor of the document `uri`, the scene `scene`, is now at `position`. */
  moved(scene: string, uri: string, position: CursorPosition): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.ask(scene, uri, position), this.options.delayMs);
  }

  /** The preview of `scene` closed: a new one starts with nothing shown. */
  forget(scene: string): void {
    this.shown.delete(scene);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.asked++;
  }

  private async ask(scene: string, uri: string, position: CursorPosition): Promise<void> {
    const question = ++this.asked;
    let answer: RegionAtCursorAnswer;
    try {
      answer = await this.options.ask(uri, position);
    } catch {
      return;
    }
    if (question !== this.asked) return;
    const target: HighlightTarget | null = answer && { kind: answer.kind, name: answer.name, ...(answer.guide !== undefined ? { guide: answer.guide } : {}) };
    const key = JSON.stringify(target);
    if (this.shown.get(scene) === key) return;
    this.shown.set(scene, key);
    this.options.show(scene, target);
  }
}
