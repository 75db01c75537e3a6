import { hasScenecMetadata, KEY_SCENE } from "../../runtime/image/png-text.js";

/**
 * The source a scenec PNG was rendered from (its `scenec:scene` text chunk): a scene's text, or a
 * saved plan's when `scenec render` was given a plan (render.ts records either).
 */
export interface EmbeddedSource {
  text: string;
  /** A saved plan (YAML or JSON) rather than a scene. */
  plan: boolean;
}

/** A saved plan's text starts with its `version` key (YAML) or a `{` (JSON); a scene's never does. */
const PLAN_TEXT = /^\s*(?:\{|version:)/;

/** The embedded source in a PNG's text chunks, or undefined when there is none. */
export function embeddedSource(text: Readonly<Record<string, string>>): EmbeddedSource | undefined {
  const source = text[KEY_SCENE];
  if (source === undefined) return undefined;
  return { text: source, plan: PLAN_TEXT.test(source) };
}

/** Whether a PNG has scenec metadata but no source to re-render or import (a PNG whose text was edited). */
export function scenecWithoutSource(text: Readonly<Record<string, string>>): boolean {
  return text[KEY_SCENE] === undefined && hasScenecMetadata(text);
}
