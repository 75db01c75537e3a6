import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../src/cli/config.js";
import { CliError } from "../src/cli/errors.js";
import { ModelError } from "../src/runtime/model/model-error.js";
import { resolveModel } from "../src/runtime/model/resolve-model.js";

describe("scenec.yaml and model resolution", () => {
  it("resolves names, the default and paths", () => {
    const config = parseConfig("/proj/scenec.yaml", "models:\n  sd15: models/sd15\n  turbo: /abs/turbo\ndefault: sd15\n");
    expect(config.models).toEqual({ sd15: "/proj/models/sd15", turbo: "/abs/turbo" });
    expect(resolveModel({ kind: "named", name: "turbo" }, "/scenes", config)).toEqual({ kind: "folder", path: "/abs/turbo" });
    expect(resolveModel({ kind: "default" }, "/scenes", config)).toEqual({ kind: "folder", path: "/proj/models/sd15" });
    expect(resolveModel({ kind: "builtin" }, "/scenes", config)).toEqual({ kind: "builtin" });
    expect(resolveModel({ kind: "path", path: "../m" }, "/scenes/a", config)).toEqual({ kind: "folder", path: "/scenes/m" });
    expect(resolveModel({ kind: "default" }, "/scenes", { models: {} })).toEqual({ kind: "builtin" });
  });

  it("a default that is not a name is a folder relative to the file", () => {
    expect(parseConfig("/proj/scenec.yaml", "default: ./m\n").default).toBe("/proj/m");
  });

  it("names the known models when a name is missing", () => {
    const config = parseConfig("/proj/scenec.yaml", "models:\n  sd15: m\n");
    expect(() => resolveModel({ kind: "named", name: "sdxl" }, "/p", config)).toThrow(ModelError);
    expect(() => resolveModel({ kind: "named", name: "sdxl" }, "/p", config)).toThrow(/`sdxl` is not in \/proj\/scenec.yaml \(it names `sd15`\)/);
    expect(() => resolveModel({ kind: "named", name: "sd15" }, "/p")).toThrow(/add a scenec.yaml/);
  });

  it("rejects malformed files with the file's name", () => {
    expect(() => parseConfig("/c/scenec.yaml", "models: [a, b]\n")).toThrow(CliError);
    expect(() => parseConfig("/c/scenec.yaml", "modles: {}\n")).toThrow(/unknown setting `modles`/);
    expect(() => parseConfig("/c/scenec.yaml", "models: {a: 3}\n")).toThrow(/model `a` must be a folder path/);
    expect(() => parseConfig("/c/scenec.yaml", "models: {\n")).toThrow(/not valid YAML/);
  });

  it("finds the nearest scenec.yaml above the scene", () => {
    const root = mkdtempSync(path.join(tmpdir(), "scenec-config-"));
    mkdirSync(path.join(root, "a", "b"), { recursive: true });
    writeFileSync(path.join(root, "scenec.yaml"), "models:\n  x: mx\n");
    expect(loadConfig(path.join(root, "a", "b")).models).toEqual({ x: path.join(root, "mx") });
    expect(loadConfig(path.join(root, "a", "b")).file).toBe(path.join(root, "scenec.yaml"));
  });
});
