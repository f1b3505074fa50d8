/**
 * The customer's extraction schema (issue 14 point 3): a JSON Schema subset (JSON Schema 2020-12 keywords, so
 * the same document goes to Workers AI's `response_format`). The root is an object; properties have type
 * string, number, integer, boolean, array or object, nested, with `description`, `title`, `enum` of strings
 * and `format: "date"`. Anything else is refused with a JSON Pointer (RFC 6901) to it: a keyword we would
 * silently ignore is a field the customer would wrongly expect to be checked.
 */
import type { FieldViolation } from "../errors/api-error";
import { sha256Hex } from "../lib/crypto";

export const FIELD_TYPES = ["string", "number", "integer", "boolean", "array", "object"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldSchema {
  type: FieldType;
  description?: string;
  title?: string;
  format?: "date";
  enum?: string[];
  /** array */
  items?: FieldSchema;
  /** object */
  properties?: Record<string, FieldSchema>;
  required?: string[];
}

export interface ExtractionSchema extends FieldSchema {
  type: "object";
  properties: Record<string, FieldSchema>;
  $schema?: string;
}

/** What the schema may hold; also named in the errors and the OpenAPI description. */
export const SCHEMA_LIMITS = { depth: 5, fields: 100, nameLength: 64, descriptionLength: 500, enumValues: 50, bytes: 16_384 } as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS: Record<FieldType, readonly string[]> = {
  string: ["type", "description", "title", "format", "enum"],
  number: ["type", "description", "title"],
  integer: ["type", "description", "title"],
  boolean: ["type", "description", "title"],
  array: ["type", "description", "title", "items"],
  object: ["type", "description", "title", "properties", "required"],
};

const escapePointer = (segment: string) => segment.slice(0, 40).replace(/~/g, "~0").replace(/\//g, "~1");

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every violation of the subset, each with its pointer (relative to the schema's root); [] when the schema is usable. */
export function checkExtractionSchema(input: unknown): FieldViolation[] {
  const out: FieldViolation[] = [];
  let fields = 0;
  if (!isPlainObject(input)) return [{ pointer: "", detail: "the schema is a JSON object" }];
  if (input.type !== "object") out.push({ pointer: "/type", detail: 'the root of an extraction schema is an object: "type": "object"' });
  if (!isPlainObject(input.properties)) out.push({ pointer: "/properties", detail: "the root needs properties: the fields to extract" });
  else if (Object.keys(input.properties).length === 0) out.push({ pointer: "/properties", detail: "name at least one field to extract" });
  let bytes = 0;
  try {
    bytes = JSON.stringify(input).length;
  } catch {
    bytes = Infinity;
  }
  if (bytes > SCHEMA_LIMITS.bytes) out.push({ pointer: "", detail: `the schema is at most ${SCHEMA_LIMITS.bytes} bytes of JSON` });

  const walk = (node: unknown, pointer: string, depth: number, root: boolean) => {
    if (!isPlainObject(node)) {
      out.push({ pointer, detail: "a field's schema is an object with a type" });
      return;
    }
    if (depth > SCHEMA_LIMITS.depth) {
      out.push({ pointer, detail: `fields nest at most ${SCHEMA_LIMITS.depth} levels deep` });
      return;
    }
    const type = node.type;
    if (typeof type !== "string" || !(FIELD_TYPES as readonly string[]).includes(type)) {
      out.push({ pointer: `${pointer}/type`, detail: `type is one of ${FIELD_TYPES.join(", ")}` });
      return;
    }
    const allowed = root ? [...KEYWORDS[type as FieldType], "$schema"] : KEYWORDS[type as FieldType];
    for (const key of Object.keys(node)) {
      if (!allowed.includes(key)) {
        out.push({ pointer: `${pointer}/${escapePointer(key)}`, detail: `\`${key.slice(0, 40)}\` is not supported on a ${type} field; use ${allowed.join(", ")}` });
      }
    }
    for (const key of ["description", "title"] as const) {
      const text = node[key];
      if (text !== undefined && (typeof text !== "string" || text.length > SCHEMA_LIMITS.descriptionLength)) {
        out.push({ pointer: `${pointer}/${key}`, detail: `${key} is a string of at most ${SCHEMA_LIMITS.descriptionLength} characters` });
      }
    }
    if (root && node.$schema !== undefined && typeof node.$schema !== "string") out.push({ pointer: `${pointer}/$schema`, detail: "$schema is a URI string" });
    if (type === "string" && node.format !== undefined && node.format !== "date") {
      out.push({ pointer: `${pointer}/format`, detail: 'the only format supported is "date" (values become ISO 8601, YYYY-MM-DD)' });
    }
    if (type === "string" && node.enum !== undefined) {
      const values = node.enum;
      if (!Array.isArray(values) || values.length === 0 || values.length > SCHEMA_LIMITS.enumValues || !values.every((v) => typeof v === "string" && v.length <= 200)) {
        out.push({ pointer: `${pointer}/enum`, detail: `enum is a list of 1 to ${SCHEMA_LIMITS.enumValues} strings` });
      }
    }
    if (type === "array") {
      if (node.items === undefined) out.push({ pointer: `${pointer}/items`, detail: "an array field says what its items are: items: { type: … }" });
      else walk(node.items, `${pointer}/items`, depth + 1, false);
    }
    if (type === "object") {
      const properties = node.properties;
      if (!isPlainObject(properties)) {
        if (!root) out.push({ pointer: `${pointer}/properties`, detail: "an object field lists its properties" });
        return;
      }
      for (const [name, child] of Object.entries(properties)) {
        const at = `${pointer}/properties/${escapePointer(name)}`;
        fields += 1;
        if (fields === SCHEMA_LIMITS.fields + 1) out.push({ pointer: at, detail: `a schema has at most ${SCHEMA_LIMITS.fields} fields` });
        if (!NAME.test(name) || name.length > SCHEMA_LIMITS.nameLength) {
          out.push({ pointer: at, detail: `field names are 1 to ${SCHEMA_LIMITS.nameLength} letters, digits and underscores, not starting with a digit` });
        }
        walk(child, at, depth + 1, false);
      }
      if (node.required !== undefined) {
        const required = node.required;
        if (!Array.isArray(required) || !required.every((r) => typeof r === "string" && Object.hasOwn(properties, r))) {
          out.push({ pointer: `${pointer}/required`, detail: "required lists names of this object's properties" });
        }
      }
    }
  };
  if (out.length === 0) walk(input, "", 1, true);
  return out;
}

export function isExtractionSchema(input: unknown): input is ExtractionSchema {
  return checkExtractionSchema(input).length === 0;
}

/** Parses a stored schema; a row that no longer passes (it never should) counts as no schema. */
export function parseStoredSchema(json: string | null | undefined): ExtractionSchema | null {
  if (!json) return null;
  try {
    const value: unknown = JSON.parse(json);
    return isExtractionSchema(value) ? value : null;
  } catch {
    return null;
  }
}

/** JSON with object keys sorted, so the same schema always has the same version. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** `schema_version` on a fax's extraction: which schema the data was extracted with (the first 12 hex digits of its SHA-256). */
export async function schemaVersion(schema: ExtractionSchema): Promise<string> {
  return `sch_${(await sha256Hex(canonicalJson(schema))).slice(0, 12)}`;
}
