import type { ModelFamily } from "./model-family.js";
import { SD_FAMILY } from "./sd/sd-family.js";
import { SDXL_FAMILY } from "./sdxl/sdxl-family.js";

/** Every family, most specific first: the first whose `matches` accepts a folder loads it. */
export const MODEL_FAMILIES: readonly ModelFamily[] = [SDXL_FAMILY, SD_FAMILY];
