/**
 * Request objects that refuse what they do not know. A field the API does not have is never dropped in
 * silence (a partner who writes `options.retries` believes the fax will be retried): it is refused with
 * 422, and the error names the field that was probably meant, from the names other fax APIs use for the
 * same thing or from a near spelling of one of this object's own fields.
 */
import { z } from "@hono/zod-openapi";

/** Names used by other fax APIs and common HTTP APIs, with the fields of ours they mean. */
const OTHER_NAMES: Record<string, readonly string[]> = {
  retries: ["max_attempts"],
  retry: ["max_attempts"],
  max_retries: ["max_attempts"],
  retry_count: ["max_attempts"],
  attempts: ["max_attempts"],
  retry_interval: ["retry_delay"],
  retry_delay_seconds: ["retry_delay"],
  quality: ["resolution"],
  fine: ["resolution"],
  dither: ["image_conversion"],
  color: ["image_conversion"],
  file: ["content", "documents"],
  data: ["content"],
  base64: ["content"],
  file_content: ["content"],
  mime_type: ["content_type"],
  mimetype: ["content_type"],
  media_type: ["content_type"],
  type: ["content_type"],
  name: ["filename", "to_name"],
  file_name: ["filename"],
  recipient: ["to"],
  to_number: ["to"],
  fax_number: ["to"],
  caller_id: ["from"],
  from_number: ["from"],
  callback_url: ["webhook_url", "url"],
  status_callback: ["webhook_url"],
  webhook: ["webhook_url"],
  tags: ["metadata"],
  client_reference: ["metadata"],
  custom_fields: ["metadata"],
  schedule: ["send_at"],
  scheduled_at: ["send_at"],
  send_time: ["send_at"],
  cover: ["cover_page"],
  files: ["documents"],
  attachments: ["documents"],
  media_url: ["document_url"],
  content_url: ["document_url"],
  file_url: ["document_url"],
  header: ["header_text"],
  recipient_name: ["to_name"],
  sender_name: ["from_name"],
  comments: ["message"],
  note: ["message"],
  text: ["message"],
  events: ["event_types"],
  enabled_events: ["event_types"],
  active: ["enabled"],
  // Query parameters (./api/middleware/query-params.ts uses the same lookup).
  state: ["status"],
  page_size: ["limit"],
  per_page: ["limit"],
  max_results: ["limit"],
  starting_after: ["cursor"],
  page_token: ["cursor"],
  after: ["cursor"],
  since: ["created_after", "from"],
  until: ["created_before", "to"],
};

/** A user's text cut to `max` characters for an error message: a 5,000-character key is never echoed whole. */
export const clip = (text: string, max = 40): string => (text.length > max ? `${text.slice(0, max)}…` : text);

const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment); field names only. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The field of `known` that `key` most likely meant, if one is likely enough to name. */
export function suggestField(key: string, known: readonly string[]): string | undefined {
  // Own keys only: a user may send `constructor` or `__proto__`.
  const other = Object.hasOwn(OTHER_NAMES, key.toLowerCase()) ? OTHER_NAMES[key.toLowerCase()]!.find((f) => known.includes(f)) : undefined;
  if (other) return other;
  const k = squash(key);
  const same = known.find((f) => squash(f) === k); // contentType, Content-Type, content_type
  if (same) return same;
  if (k.length > 64) return undefined; // no field name is this long, and the distance is quadratic
  let best: { field: string; d: number } | undefined;
  for (const field of known) {
    const d = distance(k, squash(field));
    if (d <= Math.max(1, Math.floor(field.length / 4)) && (!best || d < best.d)) best = { field, d };
  }
  return best?.field;
}

/** One line per unknown key, in the order zod lists them (violations() splits them again). */
export function unknownFieldLine(key: string, known: readonly string[]): string {
  const suggestion = suggestField(key, known);
  const shown = clip(key);
  return suggestion ? `unknown field \`${shown}\`; did you mean \`${suggestion}\`?` : `unknown field \`${shown}\`; the fields here are ${known.map((f) => `\`${f}\``).join(", ")}`;
}

/** A z.object that refuses unknown keys with a message naming the field probably meant. */
export function closedObject<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? issue.keys.map((k) => unknownFieldLine(k, known)).join("\n") : undefined),
  });
}
