/**
 * Extracted values in the schema's shape, whichever extractor produced them (issue 14 point 3): every field of
 * the schema is present, a value that is missing or does not fit its type is null (never an error), numbers
 * lose currency signs and thousands separators, and `format: "date"` strings become ISO 8601 (YYYY-MM-DD).
 */
import type { ExtractionSchema, FieldSchema } from "./extraction-schema";

export type ExtractedValue = string | number | boolean | null | ExtractedValue[] | { [field: string]: ExtractedValue };
export type ExtractedData = { [field: string]: ExtractedValue };

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

function isoDate(year: number, month: number, day: number): string | null {
  if (year < 100) year += year < 50 ? 2000 : 1900;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString().slice(0, 10);
}

/**
 * A date as faxes write them, to YYYY-MM-DD: ISO (2024-03-07), US numeric (03/07/2024, 3-7-24: month first, as
 * in the US forms fax still carries), day-first when the first number cannot be a month (31.12.2024), and
 * month names (March 7, 2024; 7 Mar 2024). Null when it is none of these.
 */
export function normalizeDate(text: string): string | null {
  const t = text.trim().replace(/\s+/g, " ");
  let m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$/.exec(t);
  if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$/.exec(t);
  if (m) {
    const [a, b, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return a > 12 ? isoDate(y, b, a) : isoDate(y, a, b);
  }
  m = /^([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$/.exec(t);
  if (m) {
    const month = MONTHS.indexOf(m[1]!.slice(0, 3).toLowerCase()) + 1;
    return month > 0 ? isoDate(Number(m[3]), month, Number(m[2])) : null;
  }
  m = /^(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]{3,9})\.?,? (\d{4})$/.exec(t);
  if (m) {
    const month = MONTHS.indexOf(m[2]!.slice(0, 3).toLowerCase()) + 1;
    return month > 0 ? isoDate(Number(m[3]), month, Number(m[1])) : null;
  }
  return null;
}

/**
 * A number as US forms print it: comma thousands, dot decimals, an optional sign and currency ("$1,234.50",
 * "-12", "20.00 USD"). Anything else ("1,23", "12 apples") is null rather than a guess.
 */
export function normalizeNumber(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string") return null;
  const t = value.trim().replace(/^([-+]?)\s*[$€£¥]\s*/, "$1").replace(/\s*(?:USD|EUR|GBP)$/i, "");
  const m = /^([-+]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$/.exec(t);
  if (!m) return null;
  const n = Number(`${m[1]}${m[2]!.replace(/,/g, "")}${m[3] ?? ""}`);
  return Number.isFinite(n) ? n : null;
}

const TRUE_WORDS = new Set(["true", "yes", "y", "x", "[x]", "checked", "on", "1"]);
const FALSE_WORDS = new Set(["false", "no", "n", "[ ]", "unchecked", "off", "0", "none"]);

function normalizeBoolean(value: unknown): boolean | null {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return null;
  const t = value.trim().toLowerCase();
  return TRUE_WORDS.has(t) ? true : FALSE_WORDS.has(t) ? false : null;
}

/** One value into its field's type, or null. */
export function conformValue(field: FieldSchema, value: unknown): ExtractedValue {
  if (value === undefined || value === null) return null;
  switch (field.type) {
    case "string": {
      if (typeof value !== "string" && typeof value !== "number") return null;
      const text = String(value).trim();
      if (text === "") return null;
      if (field.format === "date") return normalizeDate(text);
      if (field.enum) return field.enum.find((e) => e.toLowerCase() === text.toLowerCase()) ?? null;
      return text;
    }
    case "number":
      return normalizeNumber(value);
    case "integer": {
      const n = normalizeNumber(value);
      return n !== null && Number.isInteger(n) ? n : null;
    }
    case "boolean":
      return normalizeBoolean(value);
    case "array": {
      const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(/[;,\n]/) : null;
      if (!items || !field.items) return null;
      const itemSchema = field.items;
      return items.map((item) => conformValue(itemSchema, item)).filter((item) => item !== null);
    }
    case "object":
      return typeof value === "object" && !Array.isArray(value) ? conformObject(field.properties ?? {}, value as Record<string, unknown>) : null;
  }
}

function conformObject(properties: Record<string, FieldSchema>, value: Record<string, unknown>): { [field: string]: ExtractedValue } {
  const out: { [field: string]: ExtractedValue } = {};
  for (const [name, field] of Object.entries(properties)) out[name] = conformValue(field, Object.hasOwn(value, name) ? value[name] : undefined);
  return out;
}

/** The whole answer in the schema's shape: every field present, extra keys dropped. */
export function conformToSchema(schema: ExtractionSchema, value: unknown): ExtractedData {
  const source = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  return conformObject(schema.properties, source);
}

/** How many leaf fields have a value: 0 means the extractor found nothing. */
export function countFilled(data: ExtractedValue): number {
  if (data === null) return 0;
  if (Array.isArray(data)) return data.length > 0 ? 1 : 0;
  if (typeof data === "object") return Object.values(data).reduce<number>((n, v) => n + countFilled(v), 0);
  return 1;
}
