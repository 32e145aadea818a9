/** Escaping text for HTML and SVG: one function for element text and quoted attribute values alike. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape `s` (any value, as `String(s)`) for HTML or SVG text and for attribute values in either quote. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
