import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { packageRoot } from "../../package-root.js";

/**
 * Validation of a model folder's JSON configs (the scheduler's and the VAE's) against
 * schema/model-config.schema.json, which ships with the package: the bounds live in the schema,
 * and the messages are made from it. Read and compiled once, on first use.
 */

/** The configs the schema describes, by their name under `$defs`. */
export type ModelConfigKind = "scheduler" | "vae";

/** schema/model-config.schema.json in the package. */
function modelConfigSchemaPath(): string {
  return join(packageRoot(), "schema", "model-config.schema.json");
}

/** What the schema says about one key. */
interface KeySchema {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  description?: string;
}

let validators: Record<ModelConfigKind, ValidateFunction> | undefined;

function validator(kind: ModelConfigKind): ValidateFunction {
  if (validators === undefined) {
    const schema = JSON.parse(readFileSync(modelConfigSchemaPath(), "utf8")) as { $id: string };
    // verbose: each error carries the value and its key's schema, from which the message is made.
    const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true, strict: true, verbose: true });
    ajv.addSchema(schema);
    const compiled = (name: ModelConfigKind) => ajv.getSchema(`${schema.$id}#/$defs/${name}`)!;
    validators = { scheduler: compiled("scheduler"), vae: compiled("vae") };
  }
  return validators[kind];
}

/**
 * What is wrong with a config, one message for each bad key, e.g. `"num_train_timesteps" is
 * 300000000; it must be an integer from 2 to 10000 (Stable Diffusion models use 1000)`; an empty
 * array when it is valid. Keys the schema does not list are not looked at.
 */
export function modelConfigProblems(kind: ModelConfigKind, config: Readonly<Record<string, unknown>>): string[] {
  const validate = validator(kind);
  if (validate(withoutInfiniteDefaults(kind, config))) return [];
  const problems = new Map<string, string>();
  for (const error of validate.errors ?? []) {
    // The schema has no nested keys: the path is `/key` (no `~` or `/` to unescape in its keys).
    const key = error.instancePath.slice(1);
    if (problems.has(key)) continue; // `type` and `minimum` can both fail for one value
    const schema = error.parentSchema as KeySchema;
    const why = schema.description !== undefined ? ` (${schema.description})` : "";
    problems.set(key, `"${key}" is ${shown(error.data)}; it must be ${allowed(schema)}${why}`);
  }
  return [...problems.values()];
}

/**
 * Keys whose diffusers default is not a finite number, so that a config saved by Python writes it
 * as a bare word (`-Infinity`): that value is the default and is not range-checked (the schema
 * cannot say `-Infinity`, and JSON Schema numbers are finite).
 */
const INFINITE_DEFAULTS: Partial<Record<ModelConfigKind, Readonly<Record<string, number>>>> = {
  scheduler: { lambda_min_clipped: -Infinity },
};

function withoutInfiniteDefaults(kind: ModelConfigKind, config: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const defaults = INFINITE_DEFAULTS[kind];
  if (!defaults || !Object.entries(defaults).some(([key, value]) => config[key] === value)) return config;
  return Object.fromEntries(Object.entries(config).filter(([key, value]) => defaults[key] !== value));
}

function shown(value: unknown): string {
  // Infinity and NaN (which configs saved by Python can hold) as Python writes them, not as JSON's null.
  const json = typeof value === "number" && !Number.isFinite(value) ? String(value) : (JSON.stringify(value) ?? String(value));
  return json.length > 60 ? `${json.slice(0, 60)}…` : json;
}

/** The values a key's schema allows, in words (null, which means absent, is left unsaid where something else is allowed). */
function allowed(schema: KeySchema): string {
  const values = (schema.enum ?? []).filter((value) => value !== null);
  const types = [schema.type ?? []].flat().filter((type) => type !== "null");
  if (values.length > 1) return `one of ${values.map((value) => JSON.stringify(value)).join(", ")}`;
  if (values.length === 1) return `${JSON.stringify(values[0])} or absent`;
  if (types.length === 0) return "null or absent";
  if (types[0] === "boolean") return "true or false";
  return `${types[0] === "integer" ? "an integer" : "a number"} from ${schema.minimum} to ${schema.maximum}`;
}
