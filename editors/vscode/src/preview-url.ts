/**
 * `scenec watch --serve` says where its page is on stderr, once it listens:
 *
 *     [watch] preview at http://127.0.0.1:40123/
 *
 * (src/cli/watch/session.ts). Only a loopback http URL is taken: the webview frames it.
 */
const PREVIEW_LINE = /^\[watch\] preview at (http:\/\/(?:127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+\/)\s*$/;

/** The preview URL that a line of `scenec watch` announces, or undefined. */
export function previewUrl(line: string): string | undefined {
  return PREVIEW_LINE.exec(line)?.[1];
}

/**
 * Reads `scenec watch`'s stderr as it comes, in chunks that need not end at line ends, until the
 * preview URL shows; keeps the text so far, for the message when watch stops before it gets there
 * (a missing scene, a port in use).
 */
export class PreviewUrlReader {
  private pending = "";
  private seen = "";
  private found: string | undefined;

  /** Takes a chunk; returns the URL once the line announcing it is complete. */
  push(chunk: string): string | undefined {
    if (this.found !== undefined) return this.found;
    this.seen += chunk;
    this.pending += chunk;
    const lines = this.pending.split(/\r?\n/);
    this.pending = lines.pop()!;
    for (const line of lines) {
      this.found = previewUrl(line);
      if (this.found !== undefined) return this.found;
    }
    return undefined;
  }

  /** What watch has printed so far. */
  get output(): string {
    return this.seen.trim();
  }
}
