import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The compiler's layering rule (src/compiler/README.md): the compiler is pure. It imports nothing
 * from the runtime or the CLI, touches neither `process` nor the file system, and reaches files
 * only through its host interface, whose one implementation over the real file system is
 * node-host.ts. What it may import:
 */
const COMPILER = "src/compiler/";
/** The one file that may use the file system: the host over the real one. */
const HOST_IMPLEMENTATION = "src/compiler/node-host.ts";
const FILE_SYSTEM = ["node:fs", "node:fs/promises"];
/** Built-ins that only compute: path arithmetic, hashes, CRCs. */
const BUILTINS = ["node:path", "node:crypto", "node:zlib"];
/**
 * Packages that only compute (image-size's main entry measures a buffer; its file reader is
 * `image-size/fromFile`, which is not allowed). Each must be a runtime dependency.
 */
const PACKAGES = ["chevrotain", "fastest-levenshtein", "image-size", "ajv/dist/2020.js"];
/** Data outside src/compiler that is part of the language: the plan's JSON Schema. */
const DATA = ["schema/plan.schema.json"];
/** Globals that reach the process or the module's place on disk. */
const GLOBALS = new Set(["process", "require", "__dirname", "__filename", "globalThis"]);
/**
 * `path.resolve` and `path.relative` read the working folder for a relative path. Only the project
 * root rule uses them, and there every resolved path is compared with another resolved against the
 * same folder, or made relative again, so no plan or message depends on the working folder.
 */
const CWD_PATH_FUNCTIONS = new Set(["resolve", "relative"]);
const CWD_PATH_USER = "src/compiler/check/project-root.ts";

/** What `file` (repository-relative, `/`-separated) breaks of the rule, one line each: `file:line: what`. */
function layeringProblems(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const problems: string[] = [];
  const report = (node: ts.Node, what: string) =>
    problems.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}: ${what}`);
  const pathBindings = new Set<string>();

  const checkSpecifier = (node: ts.Node, specifier: string) => {
    if (specifier.startsWith(".")) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, ".ts");
      if (!target.startsWith(COMPILER) && !DATA.includes(target)) report(node, `imports ${specifier} (${target}), outside ${COMPILER}`);
    } else if (FILE_SYSTEM.includes(specifier)) {
      if (file !== HOST_IMPLEMENTATION) report(node, `imports ${specifier}: only ${HOST_IMPLEMENTATION} uses the file system`);
    } else if (!BUILTINS.includes(specifier) && !PACKAGES.includes(specifier)) {
      report(node, `imports ${specifier}, which is not an allowed module`);
    }
  };

  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const specifier = node.moduleSpecifier.text;
      checkSpecifier(node, specifier);
      const bindings = ts.isImportDeclaration(node) ? node.importClause : undefined;
      if (specifier === "node:path" && bindings) {
        if (bindings.name) pathBindings.add(bindings.name.text);
        const named = bindings.namedBindings;
        if (named && ts.isNamespaceImport(named)) pathBindings.add(named.name.text);
        if (named && ts.isNamedImports(named))
          for (const element of named.elements)
            if (CWD_PATH_FUNCTIONS.has((element.propertyName ?? element.name).text) && file !== CWD_PATH_USER)
              report(element, `imports path.${(element.propertyName ?? element.name).text}, which reads the working folder`);
      }
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expression = node.moduleReference.expression;
      if (ts.isStringLiteral(expression)) checkSpecifier(node, expression.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const argument = node.arguments[0];
      if (argument && ts.isStringLiteral(argument)) checkSpecifier(node, argument.text);
      else report(node, "imports a computed module name");
    } else if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) {
      report(node, "uses import.meta, the module's place on disk");
    } else if (ts.isIdentifier(node) && GLOBALS.has(node.text) && !isMemberName(node)) {
      report(node, `uses ${node.text}`);
    } else if (
      ts.isPropertyAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      pathBindings.has(node.expression.text) &&
      CWD_PATH_FUNCTIONS.has(node.name.text) &&
      file !== CWD_PATH_USER
    ) {
      report(node, `uses path.${node.name.text}, which reads the working folder`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return problems;
}

/** True when `node` names a member (`x.process`, `{ process: 1 }`, a method), not the global. */
function isMemberName(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (
    ((ts.isPropertyAccessExpression(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) || ts.isMethodDeclaration(parent) || ts.isMethodSignature(parent)) &&
      parent.name === node) ||
    (ts.isQualifiedName(parent) && parent.right === node)
  );
}

function compilerFiles(folder = COMPILER): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const file = `${folder}${entry.name}`;
    if (entry.isDirectory()) return compilerFiles(`${file}/`);
    return entry.name.endsWith(".ts") ? [file] : [];
  });
}

describe("the compiler's layering", () => {
  it("imports nothing from the runtime or the CLI and touches neither process nor the file system", () => {
    const files = compilerFiles();
    expect(files).toContain(HOST_IMPLEMENTATION);
    expect(files.flatMap((file) => layeringProblems(file, readFileSync(file, "utf8")))).toEqual([]);
  });

  it("allows only packages the compiler depends on at run time", () => {
    const { dependencies } = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
    const missing = PACKAGES.map((specifier) => specifier.split("/")[0]!).filter((name) => !Object.hasOwn(dependencies, name));
    expect(missing).toEqual([]);
  });

  it("finds each kind of breach", () => {
    const file = "src/compiler/check/example.ts";
    const breaches = [
      'import { kernelProfile } from "../../runtime/blend-kernels.js";',
      'export { runCli } from "../../cli/main.js";',
      'import type { Terminal } from "../../cli/terminal.js";',
      'import { readFileSync } from "node:fs";',
      'import fs from "fs/promises";',
      'import { spawn } from "node:child_process";',
      'import { imageSize } from "image-size/fromFile";',
      'const fs = await import("node:fs");',
      "const home = process.env.HOME;",
      'const env = globalThis["process"];',
      "const here = import.meta.url;",
      'const fs = require("node:fs");',
      'import path from "node:path"; const root = path.resolve("scene");',
      'import { relative } from "node:path";',
    ];
    for (const breach of breaches) expect(layeringProblems(file, breach), breach).toHaveLength(1);
    const allowed = [
      'import { suggest } from "../check/suggest.js"; import type { Plan } from "./plan.js";',
      'import schema from "../../../schema/plan.schema.json" with { type: "json" };',
      'import path from "node:path"; const name = path.basename("a/b.png");',
      'const help = "every region is a diffusion process"; // process in a comment',
      "const step = { process: 1 }; step.process += 1;",
    ];
    for (const code of allowed) expect(layeringProblems("src/compiler/plan/example.ts", code), code).toEqual([]);
    expect(layeringProblems(HOST_IMPLEMENTATION, 'import { openSync } from "node:fs";')).toEqual([]);
    expect(layeringProblems(CWD_PATH_USER, 'import path from "node:path"; path.resolve("x");')).toEqual([]);
  });
});
