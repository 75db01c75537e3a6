import path from "node:path";

/** Where the scenec program was found, for messages ("the workspace's scenec failed to start"). */
export type ScenecSource = "setting" | "workspace" | "bundled" | "path";

/** What resolveScenec needs to know of the machine; the extension passes the real ones, tests pass their own. */
export interface ScenecLookup {
  /** The `scenec.path` setting; empty or blank means "find it". */
  setting: string | undefined;
  /** The workspace folders' paths, in order. */
  workspaceFolders: readonly string[];
  /** The extension's own folder, where a packaged .vsix may carry scenec (server/bin/scenec.js). */
  extensionPath: string;
  platform: NodeJS.Platform;
  /** The extension host's Node.js (Electron acting as Node), which runs a scenec given as a .js file if it is recent enough… */
  nodePath: string;
  /** …that is, if this version (`process.versions.node`) is at least SCENEC_NODE; else `node` on PATH runs it. */
  nodeVersion: string;
  isFile: (file: string) => boolean;
}

/** How to run scenec: a command line for child_process.spawn and vscode-languageclient's Executable alike. */
export interface ScenecProgram {
  source: ScenecSource;
  /** The program as found: a file, or the bare name looked up on PATH. */
  file: string;
  command: string;
  /** Arguments that come before scenec's own (the script, when scenec is a .js file run by Node). */
  args: string[];
  /** Environment to add to the extension host's. */
  env: Record<string, string>;
  /** Windows runs npm's `.cmd` shims, and finds `scenec` on PATH, only through a shell. */
  shell: boolean;
}

/** The oldest Node.js that scenec runs on: the `engines` of its package.json. */
export const SCENEC_NODE = "20.19.0";

/** The bundled scenec's script, relative to the extension's folder (scripts/package-vscode.mjs puts it there). */
export const BUNDLED_SCENEC = path.join("server", "bin", "scenec.js");

/**
 * Which scenec to run: the `scenec.path` setting if it is set; else the workspace's own
 * (node_modules/.bin/scenec of the first folder that has one), so that the editor checks scenes with
 * the scenec version the project pins; else the one bundled in the extension; else `scenec` on PATH.
 */
export function resolveScenec(lookup: ScenecLookup): ScenecProgram {
  const p = lookup.platform === "win32" ? path.win32 : path.posix;
  const setting = lookup.setting?.trim();
  if (setting) {
    // A bare name (`scenec-dev`) is looked up on PATH; a path is taken from the first workspace folder.
    const isPath = setting.includes("/") || (lookup.platform === "win32" && setting.includes("\\"));
    const root = lookup.workspaceFolders[0];
    const file = isPath && root !== undefined ? p.resolve(root, setting) : setting;
    return program("setting", file, lookup);
  }
  const shim = lookup.platform === "win32" ? "scenec.cmd" : "scenec";
  for (const folder of lookup.workspaceFolders) {
    const file = p.join(folder, "node_modules", ".bin", shim);
    if (lookup.isFile(file)) return program("workspace", file, lookup);
  }
  const bundled = p.join(lookup.extensionPath, BUNDLED_SCENEC);
  if (lookup.isFile(bundled)) return program("bundled", bundled, lookup);
  return program("path", "scenec", lookup);
}

function program(source: ScenecSource, file: string, lookup: ScenecLookup): ScenecProgram {
  if (/\.[cm]?js$/i.test(file)) {
    // VS Code's Electron acts as Node with ELECTRON_RUN_AS_NODE; an older VS Code's Node is older than scenec needs.
    return atLeast(lookup.nodeVersion, SCENEC_NODE)
      ? { source, file, command: lookup.nodePath, args: [file], env: { ELECTRON_RUN_AS_NODE: "1" }, shell: false }
      : { source, file, command: "node", args: [file], env: {}, shell: false };
  }
  const shell = lookup.platform === "win32";
  // Through a shell the command line is one string: a path with spaces must be quoted.
  const command = shell && /\s/.test(file) ? `"${file}"` : file;
  return { source, file, command, args: [], env: {}, shell };
}

/** Whether dotted version `version` is `minimum` or later. */
function atLeast(version: string, minimum: string): boolean {
  const a = version.split(".").map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < b.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i]!;
    if (x !== y) return x > y;
  }
  return true;
}

/** Says which scenec is meant, for an error message that tells the user what to change. */
export function describeScenec(program: ScenecProgram): string {
  const shown = program.file;
  switch (program.source) {
    case "setting":
      return `the scenec set in \`scenec.path\` (${shown})`;
    case "workspace":
      return `the workspace's scenec (${shown})`;
    case "bundled":
      return `the scenec bundled with the extension (${shown})`;
    case "path":
      return "`scenec` on PATH";
  }
}

/** A scenec command line (`lsp --stdio`, `watch FILE --serve 0`) for child_process.spawn. */
export interface CommandLine {
  command: string;
  args: string[];
  env: Record<string, string>;
  shell: boolean;
}

/** What `scenec lsp` asks of V8 (its SEMI_SPACE_FLAG): room for a compile's garbage. */
export const LSP_NODE_FLAG = "--max-semi-space-size=64";

/**
 * The command line that runs `scenec ARGS…` with `program`; through a shell, words with spaces are
 * quoted. `nodeFlags` go to the Node that runs a scenec given as a script (before the script);
 * a scenec run as a program of its own takes none.
 */
export function commandLine(program: ScenecProgram, scenecArgs: readonly string[], nodeFlags: readonly string[] = []): CommandLine {
  const args = [...(program.args.length > 0 ? nodeFlags : []), ...program.args, ...scenecArgs];
  return {
    command: program.command,
    args: program.shell ? args.map((a) => (/\s/.test(a) ? `"${a}"` : a)) : args,
    env: program.env,
    shell: program.shell,
  };
}
