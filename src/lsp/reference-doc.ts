import { readFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../package-root.js";
import type { OptionKind } from "../compiler/syntax/ast.js";
import { fileUri } from "./positions.js";

/**
 * grammar/reference.md, read once, as the source of the server's documentation: each diagnostic
 * code's section (its anchor, for a diagnostic's code description) and each setting's rows in the
 * reference's tables, the list items that start with it and the comments of the annotated
 * examples (for hovers). Nothing is copied out of the reference, so the hover says what the
 * reference says.
 */
export class ReferenceDoc {
  private readonly anchors = new Map<string, string>();
  /** keyword → the table rows that document it, each with its table's header and section. */
  private readonly rows = new Map<string, string[]>();
  readonly file: string;

  constructor(file = path.join(packageRoot(), "grammar", "reference.md")) {
    this.file = file;
    let section = "";
    let header: string[] | undefined;
    let headerLines: string[] = [];
    let fragment = false;
    let bullet: { keyword: string; lines: string[] } | undefined;
    const lines = readFileSync(file, "utf8").split(/\r?\n/);
    const add = (keyword: string, text: string) => {
      const list = this.rows.get(keyword) ?? [];
      list.push(text);
      this.rows.set(keyword, list);
    };
    const endBullet = () => {
      if (bullet) add(bullet.keyword, `**${section}**\n\n${bullet.lines.join("\n")}`);
      bullet = undefined;
    };
    lines.forEach((line, i) => {
      // A list item that starts with a setting (`- \`at X, Y\` defaults to …`), continued by indented lines.
      if (bullet && /^  \S/.test(line)) {
        bullet.lines.push(line);
        return;
      }
      endBullet();
      const item = /^- `([a-z-]+)[ `]/.exec(line);
      if (item) {
        bullet = { keyword: item[1]!, lines: [line] };
        return;
      }
      // The annotated examples (```scene fragment): `  weight 1.5   # multiplies the kernel; > 0; default 1`.
      if (line.startsWith("```")) {
        fragment = line.startsWith("```scene fragment");
        return;
      }
      if (fragment) {
        const annotated = /^\s*(([a-z-]+)\b[^#]*?)\s+# (.*)$/.exec(line);
        if (annotated) add(annotated[2]!, `**${section}**: \`${annotated[1]}\` — ${annotated[3]}`);
        return;
      }
      const heading = /^#{2,4} (.*)$/.exec(line);
      if (heading) {
        section = heading[1]!;
        const code = /^(S\d{4})\b/.exec(section)?.[1];
        if (code) this.anchors.set(code, slug(section));
        return;
      }
      if (!line.startsWith("|")) {
        header = undefined;
        return;
      }
      if (header === undefined) {
        header = cells(line);
        headerLines = [line, lines[i + 1] ?? ""];
        return;
      }
      if (/^\|[-:| ]+\|$/.test(line)) return;
      const first = cells(line)[0] ?? "";
      // A row about settings starts with one (not `neither \`at\` nor \`size\``).
      if (!first.startsWith("`")) return;
      // `canvas W x H`, `noise NAME` or `noise "file.npy"`: every backticked form's first word.
      for (const m of first.matchAll(/`([a-z-]+)[^`]*`/g)) add(m[1]!, `**${section}**\n\n${headerLines.join("\n")}\n${line}`);
    });
  }

  /** The reference's section for a diagnostic code, as a link. */
  codeHref(code: string): string | undefined {
    const anchor = this.anchors.get(code);
    return anchor && `${fileUri(this.file)}#${anchor}`;
  }

  /** Markdown: everything the reference says about `keyword`, in its order. */
  settingDoc(keyword: OptionKind | string): string | undefined {
    const rows = this.rows.get(keyword);
    return rows && [...new Set(rows)].join("\n\n");
  }
}

function cells(row: string): string[] {
  return row.split("|").slice(1, -1).map((c) => c.trim());
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}
