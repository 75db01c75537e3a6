import type { Plan } from "../compiler/plan/plan.js";
import { planHash } from "../compiler/plan/plan-hash.js";
import type { PlanOverrides } from "../compiler/plan/plan-overrides.js";
import type { ModelLocation } from "../runtime/model/resolve-model.js";
import { KEY_PARAMETERS, KEY_RENDER, KEY_SCENE, scenecPngText } from "../runtime/image/png-text.js";
import { formatA1111Parameters } from "./a1111-parameters.js";
import { dominantPaint } from "./dominant-paint.js";
import { renderRecord, type RenderRecord, type RuntimeRecord, type SourceKind } from "./render-record.js";
import { version } from "./version.js";

/** How a picture was made: what `scenec render` and `scenec watch` know when they write it. */
export interface RenderProvenance {
  /** The scene's text, or a saved plan's. */
  source: string;
  sourceKind: SourceKind;
  /** With the command line's overrides applied. */
  plan: Plan;
  model: ModelLocation;
  /** The imported scene files' texts (render-record.ts's importedTexts); none for a saved plan. */
  imports: Record<string, string>;
  overrides: PlanOverrides;
  runtime: RuntimeRecord;
}

/**
 * The text chunks of a rendered PNG: the source it came from, the plan's hash, the seed, scenec's
 * version (png-text.ts), what else re-rendering it needs (`scenec:render`), and an A1111 infotext
 * (`parameters`) for the SD tools' PNG Info.
 */
export function renderedImageText(made: RenderProvenance): Record<string, string> {
  const scenec = version();
  const record = renderRecord({ source: made.sourceKind, model: made.model, version: scenec, overrides: made.overrides, runtime: made.runtime, imports: made.imports });
  const parameters = a1111Infotext(made.plan, record, scenec);
  return {
    ...scenecPngText({ scene: made.source, planSha256: planHash(made.plan), seed: made.plan.seed, version: scenec }),
    [KEY_RENDER]: JSON.stringify(record),
    ...(parameters !== undefined ? { [KEY_PARAMETERS]: parameters } : {}),
  };
}

/**
 * The infotext of a plan: its dominant paint's prompt, negative prompt and guidance
 * (dominant-paint.ts), the canvas's seed, size and noise, and scenec's own keys: its version,
 * where the whole scene is (the `scenec:scene` chunk), and what A1111's one prompt leaves out.
 */
function a1111Infotext(plan: Plan, record: RenderRecord, scenec: string): string | undefined {
  const paint = dominantPaint(plan);
  if (!paint) return undefined;
  const paints = plan.regions.length + (plan.shiftedGrids?.length ?? 0);
  return formatA1111Parameters({
    prompt: paint.prompt,
    negative: paint.negative,
    steps: plan.steps,
    scheduler: plan.scheduler,
    cfgScale: paint.guidance,
    seed: plan.seed,
    width: plan.canvas.width,
    height: plan.canvas.height,
    model: record.model.name,
    noise: plan.noise,
    extra: [
      ["scenec", scenec],
      ["scenec scene", KEY_SCENE],
      ...(paints > 1 ? [["scenec regions", String(paints)] as const] : []),
      ...(plan.noiseFile ? [["scenec noise file", plan.noiseFile.path] as const] : []),
    ],
  });
}
