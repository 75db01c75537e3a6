import type { Span } from "./span.js";

/** A piece of a diagnostic's text: fixed, or made from the parameters the reporting phase gives. */
type Template<P> = string | ((p: P) => string);

/** A `label` or `help` template, which may have nothing to say for some parameters. */
type OptionalTemplate<P> = string | ((p: P) => string | undefined);

/**
 * What one diagnostic says: the message, the note under the caret (`label`), a suggested fix
 * (`help`), and the note at each related span (`related`, from that span's own parameters).
 */
export interface Words<P, R> {
  message: Template<P>;
  label?: OptionalTemplate<P>;
  help?: OptionalTemplate<P>;
  related?: Template<R>;
}

/**
 * The words of a catalogue entry, with the type of their parameters inferred from the templates
 * (annotate the first template that takes any). The keys given are kept required in the type, so
 * that the parameters of an entry with a `related` template include its related spans.
 */
export function say<P = {}, R = {}, K extends keyof Words<P, R> = never>(words: Words<P, R> & Record<K, unknown>): Words<P, R> & Required<Pick<Words<P, R>, K>> {
  return words as Words<P, R> & Required<Pick<Words<P, R>, K>>;
}

/** One related span and the parameters of its note. */
export type RelatedParams<R> = R & { span: Span };

/** The parameters one set of words takes: its templates', and its related spans if it has a `related` note. */
type ParamsOfWords<W> =
  W extends Words<infer P, infer R> ? P & (W extends { related: unknown } ? { related: readonly RelatedParams<R>[] } : {}) : never;

/**
 * The parameters of an entry's text: one set of words, or named variants (a record of words)
 * chosen with `variant`.
 */
export type ParamsOfText<T> =
  T extends Words<any, any> ? ParamsOfWords<T> : { [V in keyof T]: { variant: V } & ParamsOfWords<T[V]> }[keyof T];

/** Whether an entry's text is one set of words rather than named variants. */
export function isWords(text: object): text is Words<unknown, unknown> {
  return "message" in text;
}

export function fill<P>(template: Template<P>, params: P): string;
export function fill<P>(template: OptionalTemplate<P> | undefined, params: P): string | undefined;
export function fill<P>(template: OptionalTemplate<P> | undefined, params: P): string | undefined {
  return typeof template === "function" ? template(params) : template;
}
