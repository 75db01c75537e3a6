#!/usr/bin/env node
// `npm run package:vscode` (after the root's build): builds editors/vscode/scenec-PLATFORM-VERSION.vsix.
//
// 1. installs the extension's own dependencies (editors/vscode/package-lock.json) if they are missing;
// 2. copies the TextMate grammar and the language configuration from grammar/ (one copy in git);
// 3. typechecks the extension and bundles it with vscode-languageclient into out/extension.js;
// 4. bundles scenec itself into server/ for a workspace that has none: the language server,
//    check and fmt, with sharp (guide images) and its native part for this platform; rendering's
//    onnxruntime-node (~300 MB) is left out, so Preview renders with the workspace's scenec;
//    it must check the example scenes from a copy outside this checkout;
// 5. runs @vscode/vsce package for this platform, the one sharp's binaries are for.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ext = path.join(root, "editors", "vscode");
const run = (command, args, cwd = root) => execFileSync(command, args, { cwd, stdio: "inherit" });

if (!existsSync(path.join(ext, "node_modules", "vscode-languageclient"))) {
  console.log("installing the extension's dependencies (editors/vscode/package-lock.json)…");
  run(process.platform === "win32" ? "npm.cmd" : "npm", ["ci", "--no-audit", "--no-fund"], ext);
}
if (!existsSync(path.join(root, "dist", "src", "cli", "main.js"))) {
  console.error("scenec is not built: run `npm run build` first (`npm run package:vscode` does).");
  process.exit(1);
}
const { build } = await import(path.join(ext, "node_modules", "esbuild", "lib", "main.js"));

const syntaxes = path.join(ext, "syntaxes");
rmSync(syntaxes, { recursive: true, force: true });
mkdirSync(syntaxes);
for (const file of ["scene.tmLanguage.json", "language-configuration.json"]) cpSync(path.join(root, "grammar", file), path.join(syntaxes, file));

run(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(ext, "tsconfig.json"), "--noEmit"]);
rmSync(path.join(ext, "out"), { recursive: true, force: true });
await build({
  entryPoints: [path.join(ext, "src", "extension.ts")],
  outfile: path.join(ext, "out", "extension.js"),
  bundle: true,
  // The extension host loads CommonJS extensions from VS Code 1.85 on; `vscode` is the host's own.
  format: "cjs",
  platform: "node",
  target: "node18",
  external: ["vscode"],
  logLevel: "warning",
});

await bundleScenec(path.join(ext, "server"));
checkBundledScenec(path.join(ext, "server"));

const vsce = path.join(ext, "node_modules", "@vscode", "vsce", "vsce");
const { version } = JSON.parse(readFileSync(path.join(ext, "package.json"), "utf8"));
const target = vsceTarget();
const vsix = path.join(ext, `scenec-${target}-${version}.vsix`);
// Everything it needs is bundled (--no-dependencies); the licence is the project's MIT, in the manifest.
run(process.execPath, [vsce, "package", "--no-dependencies", "--skip-license", "--allow-missing-repository", "--target", target, "--out", vsix], ext);
console.log(`${path.relative(root, vsix)}: ${(statSync(vsix).size / 1024).toFixed(0)} KiB`);

/**
 * scenec as ES modules under `dir`: bin/scenec.js and the chunks it imports lazily, with a
 * package.json (its name is how scenec finds its own folder: src/package-root.ts), the grammar
 * reference and the schema beside it, as an installed scenec has them, and sharp in node_modules/.
 */
async function bundleScenec(dir) {
  rmSync(dir, { recursive: true, force: true });
  await build({
    entryPoints: [path.join(root, "bin", "scenec.js")],
    outdir: path.join(dir, "bin"),
    bundle: true,
    // What the CLI imports lazily stays in chunks of its own: their static imports of the native
    // packages left out must not run when scenec starts.
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: ["onnxruntime-node", "sharp"],
    // Bundled CommonJS dependencies call require(): an ES module has none of its own.
    banner: { js: 'import { createRequire as __scenecRequire } from "node:module"; const require = __scenecRequire(import.meta.url);' },
    logLevel: "warning",
  });
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ name: pkg.name, version: pkg.version, type: "module", license: pkg.license }, null, 2)}\n`);
  for (const folder of ["grammar", "schema"]) cpSync(path.join(root, folder), path.join(dir, folder), { recursive: true });
  copyInstalled("sharp", path.join(dir, "node_modules"));
}

/**
 * The bundled scenec checks the example scenes (guide images and imports included) from a copy
 * outside this checkout, where the root's node_modules cannot stand in for what the bundle lacks.
 */
function checkBundledScenec(dir) {
  const copy = mkdtempSync(path.join(tmpdir(), "scenec-bundle-"));
  try {
    cpSync(dir, copy, { recursive: true });
    const scenes = readdirSync(path.join(root, "scenes")).filter((f) => f.endsWith(".scene")).map((f) => path.join(root, "scenes", f));
    run(process.execPath, [path.join(copy, "bin", "scenec.js"), "check", ...scenes], copy);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** Copies package `name` from the root's node_modules with the dependencies installed there for it (the optional ones are this platform's binaries). */
function copyInstalled(name, into, copied = new Set()) {
  const from = path.join(root, "node_modules", name);
  if (copied.has(name) || !existsSync(from)) return;
  copied.add(name);
  cpSync(from, path.join(into, name), { recursive: true, dereference: true });
  const manifest = JSON.parse(readFileSync(path.join(from, "package.json"), "utf8"));
  for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) copyInstalled(dependency, into, copied);
}

/** VS Code's name for this platform (a platform-specific .vsix installs only where its binaries run). */
function vsceTarget() {
  const musl = process.platform === "linux" && !process.report.getReport().header.glibcVersionRuntime;
  return `${musl ? "alpine" : process.platform}-${process.arch === "arm" ? "armhf" : process.arch}`;
}
