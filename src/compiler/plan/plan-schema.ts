import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
// Imported, not read: the compiler touches no file system outside its host, and the build emits
// the schema next to the compiled code (dist/schema/plan.schema.json), so no path is looked up.
import schema from "../../../schema/plan.schema.json" with { type: "json" };

/**
 * Validation of execution plans against schema/plan.schema.json, the JSON Schema that ships with
 * the package. The schema is compiled once, on first use.
 */

let cachedValidator: ValidateFunction | undefined;

/** The plan's JSON Schema, as parsed JSON. */
export function planSchema(): Record<string, unknown> {
  return schema;
}

function validator(): ValidateFunction {
  if (cachedValidator === undefined) {
    const ajv = new Ajv2020({
      allErrors: true,
      // `model` is a oneOf told apart by `kind`: validate only the branch `kind` names, so a bad
      // named model gives one precise error instead of one per branch.
      discriminator: true,
      // A region's `seed` is `["integer", "null"]`.
      allowUnionTypes: true,
      strict: true,
    });
    cachedValidator = ajv.compile(planSchema());
  }
  return cachedValidator;
}

/**
 * Validates a plan against the schema. Returns human-readable messages such as
 * `/regions/2/rect/x: must be multiple of 8`; an empty array when the plan is valid.
 */
export function validatePlan(plan: unknown): string[] {
  const validate = validator();
  if (validate(plan)) return [];
  const messages: string[] = [];
  for (const error of validate.errors ?? []) {
    const message = formatError(error);
    if (message !== undefined && !messages.includes(message)) messages.push(message);
  }
  return messages;
}

function formatError(error: ErrorObject): string | undefined {
  const params = error.params as Record<string, unknown>;
  let path = error.instancePath;
  let message = error.message ?? "is not valid";
  switch (error.keyword) {
    case "required":
      path += `/${String(params["missingProperty"])}`;
      message = "is required";
      break;
    case "additionalProperties":
      path += `/${String(params["additionalProperty"])}`;
      message = "is not a known property";
      break;
    case "enum":
      message = `must be one of ${(params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
      break;
    case "const":
      message = `must be ${JSON.stringify(params["allowedValue"])}`;
      break;
    case "discriminator":
    case "oneOf":
      // `model.kind` is checked by its own `enum`, and with the discriminator only the branch that
      // `kind` names is validated, reporting its own errors.
      return undefined;
    case "pattern":
      message = error.instancePath.endsWith("/sha256")
        ? "must be 64 lowercase hexadecimal digits"
        : `must match pattern ${String(params["pattern"])}`;
      break;
  }
  return `${path === "" ? "(plan)" : path}: ${message}`;
}
