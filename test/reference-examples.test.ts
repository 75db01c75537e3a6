import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import type { Diagnostic } from "../src/compiler/diagnostics/diagnostic.js";
import { DIAGNOSTIC_CODES } from "../src/compiler/diagnostics/diagnostic-codes.js";
import type { MaskImage } from "../src/compiler/plan/image-mask.js";
import { decodeMaskImage } from "../src/runtime/guides/mask-image.js";
import { lMask } from "./helpers/mask-images.js";

/**
 * Every ```scene block of grammar/reference.md is compiled here, so the language reference cannot
 * drift from the compiler:
 * - ```scene                      a complete scene: no errors and no warnings;
 * - ```scene expect=S2003,S2013   exactly these codes (errors and warnings, as a set);
 * - ```scene fragment             not a complete scene: skipped;
 * - `name=value` after `scene` sets a compiler limit for that block (e.g. maxGuidePixels=1000).
 * The scene is `/virtual/example.scene`; its folder holds the files the reference names.
 * Every catalogue code must have a `### CODE — title` section with an `expect=` example of it.
 */

type CompileOptions = Parameters<typeof compile>[1];
type Host = CompileOptions["host"];
type Limits = NonNullable<CompileOptions["limits"]>;
type ReadResult = ReturnType<Host["readFile"]>;

const REFERENCE = fileURLToPath(new URL("../grammar/reference.md", import.meta.url));
const FOLDER = "/virtual";
const SCENE_PATH = `${FOLDER}/example.scene`;
const LIMIT_KEYS = ["maxCanvasSide", "maxCanvasPixels", "maxGuidePixels", "maxTokenLength", "maxSourceBytes"] as const;
type LimitKey = (typeof LIMIT_KEYS)[number];

interface SceneBlock {
  /** 1-based line of the opening fence. */
  line: number;
  info: string;
  text: string;
  fragment: boolean;
  /** undefined: the block must compile cleanly. */
  expect: string[] | undefined;
  limits: Partial<Record<LimitKey, number>>;
  /** The `### Sxxxx` section the block sits in, if any. */
  section: string | undefined;
  /** Problems with the info string itself. */
  infoErrors: string[];
}

interface CodeSection {
  code: string;
  title: string;
  line: number;
}

function parseReference(markdown: string): { blocks: SceneBlock[]; sections: CodeSection[] } {
  const lines = markdown.split(/\r?\n/);
  const blocks: SceneBlock[] = [];
  const sections: CodeSection[] = [];
  let section: string | undefined;
  let fence: { marker: string; info: string; line: number; body: string[] } | undefined;

  lines.forEach((line, index) => {
    if (fence) {
      if (line.trim() === fence.marker) {
        const words = fence.info.split(/\s+/).filter(Boolean);
        if (words[0] === "scene") blocks.push(sceneBlock(fence.line, fence.info, words.slice(1), fence.body.join("\n") + "\n", section));
        fence = undefined;
      } else fence.body.push(line);
      return;
    }
    const open = /^ {0,3}(`{3,}|~{3,})\s*(.*)$/.exec(line);
    if (open) {
      fence = { marker: open[1]!, info: open[2]!.trim(), line: index + 1, body: [] };
      return;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*$/.exec(line);
    if (heading && heading[1]!.length <= 3) {
      const code = /^(S\d{4})\s+—\s+(.+)$/.exec(heading[2]!);
      if (heading[1]!.length === 3 && code) {
        section = code[1]!;
        sections.push({ code: code[1]!, title: code[2]!, line: index + 1 });
      } else section = undefined;
    }
  });
  if (fence) throw new Error(`grammar/reference.md:${fence.line}: code fence never closed`);
  return { blocks, sections };
}

function sceneBlock(line: number, info: string, words: string[], text: string, section: string | undefined): SceneBlock {
  const block: SceneBlock = { line, info, text, fragment: false, expect: undefined, limits: {}, section, infoErrors: [] };
  for (const word of words) {
    const pair = /^([A-Za-z]+)=(.*)$/.exec(word);
    if (word === "fragment") block.fragment = true;
    else if (pair && pair[1] === "expect") block.expect = pair[2]!.split(",").filter(Boolean);
    else if (pair && (LIMIT_KEYS as readonly string[]).includes(pair[1]!) && /^\d+$/.test(pair[2]!))
      block.limits[pair[1] as LimitKey] = Number(pair[2]);
    else block.infoErrors.push(`unknown info-string word \`${word}\``);
  }
  if (block.fragment && (block.expect || Object.keys(block.limits).length > 0))
    block.infoErrors.push("a fragment is not compiled: it cannot expect codes or set limits");
  if (block.expect && block.expect.length === 0) block.infoErrors.push("`expect=` lists no code");
  for (const code of block.expect ?? [])
    if (!(code in DIAGNOSTIC_CODES)) block.infoErrors.push(`\`${code}\` is not in DIAGNOSTIC_CODES`);
  return block;
}

const markdown = readFileSync(REFERENCE, "utf8");
const { blocks, sections } = parseReference(markdown);

/** The scene's folder, as the reference describes it. */
const files = new Map<string, Uint8Array>();
/** Folders in it, which a host does not read. */
const FOLDERS = new Set([`${FOLDER}/renders`]);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

beforeAll(async () => {
  files.set(`${FOLDER}/styles.scene`, utf8('style warm "warm light"\n'));
  files.set(`${FOLDER}/extras.scene`, utf8('style cool "cool light"\nsteps 20\n'));
  files.set(`${FOLDER}/notes.txt`, utf8("shopping list: eggs, milk, bread\n"));
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#336699" } }).png().toBuffer();
  files.set(`${FOLDER}/guide.png`, new Uint8Array(png));
  files.set(`${FOLDER}/l.png`, await lMask(64));
  files.set(`${FOLDER}/black.png`, new Uint8Array(await sharp({ create: { width: 64, height: 64, channels: 3, background: "#000000" } }).png().toBuffer()));
  for (const name of ["l.png", "black.png"]) {
    const bytes = files.get(`${FOLDER}/${name}`)!;
    masks.set(createHash("sha256").update(bytes).digest("hex"), await decodeMaskImage(bytes, 64 * 64));
  }
});

/** The mask images, decoded as the command line decodes them, by sha256. */
const masks = new Map<string, MaskImage>();

/** Serves the folder; the scene file itself is there too (a scene may try to import itself). */
function hostFor(sceneText: string): Host {
  return {
    readFile(requested: string): ReadResult {
      const key = path.posix.normalize(requested.replace(/\\/g, "/"));
      if (key === SCENE_PATH) return { ok: true, bytes: utf8(sceneText) };
      const bytes = files.get(key);
      if (bytes) return { ok: true, bytes };
      if (FOLDERS.has(key)) return { ok: false, reason: "not-a-file", message: "is a directory" };
      return { ok: false, reason: "missing", message: "no such file" };
    },
    decodeMask: (image) => {
      const decoded = masks.get(image.sha256);
      return decoded && { ok: true, image: decoded };
    },
  };
}

function show(diagnostics: readonly Diagnostic[]): string {
  if (diagnostics.length === 0) return "no diagnostics";
  return diagnostics
    .map((d) => `${d.location.file}:${d.location.start.line}:${d.location.start.column}: ${d.severity}[${d.code}]: ${d.message}`)
    .join("\n");
}

function title(block: SceneBlock): string {
  const firstLine = block.text.split("\n").find((l) => l.trim() !== "") ?? "";
  return `reference.md:${block.line} \`${block.info}\` ${firstLine.trim().slice(0, 50)}`;
}

describe("grammar/reference.md examples", () => {
  it("has scene examples, both clean and failing", () => {
    expect(blocks.filter((b) => !b.fragment && !b.expect).length).toBeGreaterThan(10);
    expect(blocks.filter((b) => b.expect).length).toBeGreaterThanOrEqual(Object.keys(DIAGNOSTIC_CODES).length);
  });

  for (const block of blocks) {
    if (block.fragment && block.infoErrors.length === 0) continue;
    it(title(block), () => {
      expect(block.infoErrors, "info string").toEqual([]);
      const limits: Partial<Limits> = { ...block.limits };
      const result = compile(block.text, { path: SCENE_PATH, host: hostFor(block.text), limits });
      const diagnostics = result.diagnostics;
      const hasError = diagnostics.some((d) => d.severity === "error");

      if (!block.expect) {
        expect(diagnostics, `expected a clean compile, got:\n${show(diagnostics)}`).toEqual([]);
        expect(result.plan, "a clean compile has a plan").toBeDefined();
        return;
      }

      const actual = [...new Set(diagnostics.map((d) => d.code))].sort();
      const expected = [...new Set(block.expect)].sort();
      expect(actual, `codes differ; diagnostics:\n${show(diagnostics)}`).toEqual(expected);
      for (const d of diagnostics) {
        expect(d.severity, `${d.code} severity`).toBe(DIAGNOSTIC_CODES[d.code as keyof typeof DIAGNOSTIC_CODES].severity);
      }
      expect(result.plan === undefined, "a plan exactly when there is no error").toBe(hasError);
    });
  }
});

describe("grammar/reference.md documents every diagnostic code", () => {
  const catalogue = Object.entries(DIAGNOSTIC_CODES) as [string, { severity: string; title: string }][];

  for (const [code, entry] of catalogue) {
    it(`${code} — ${entry.title}`, () => {
      const found = sections.filter((s) => s.code === code);
      expect(found.length, `exactly one \`### ${code} — ${entry.title}\` section`).toBe(1);
      expect(found[0]!.title, `title of ### ${code} (reference.md:${found[0]!.line})`).toBe(entry.title);
      const examples = blocks.filter((b) => b.section === code && b.expect?.includes(code));
      expect(examples.length, `a \`scene expect=${code}\` example under ### ${code}`).toBeGreaterThan(0);
    });
  }

  it("has no section for a code outside the catalogue", () => {
    const unknown = sections.filter((s) => !(s.code in DIAGNOSTIC_CODES)).map((s) => `${s.code} (line ${s.line})`);
    expect(unknown).toEqual([]);
  });

  it("lists the sections in catalogue order", () => {
    const order = catalogue.map(([code]) => code);
    expect(sections.map((s) => s.code)).toEqual(order);
  });
});
