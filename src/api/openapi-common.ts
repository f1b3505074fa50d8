/** Shapes shared by every operation's OpenAPI description: the problem body and the error responses. */
import { z } from "@hono/zod-openapi";
import { REQUEST_ERRORS, type RequestErrorCode } from "../errors/catalog";

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://fax.example.com/errors/fax.recipient.invalid" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ description: "Stable, dotted error code; see /errors." }),
    next: z.string().openapi({ description: "What to try next." }),
    instance: z.string(),
    request_id: z.string().openapi({ description: "The request's id, as in its Request-Id response header." }),
    errors: z
      .array(z.object({ pointer: z.string(), detail: z.string() }))
      .optional()
      .openapi({ description: "One entry per invalid field (JSON Pointer into the request)." }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details." });

/** Error responses for an operation, each with an example drawn from the catalog. */
export function problemResponses(...codes: RequestErrorCode[]) {
  const byStatus = new Map<number, RequestErrorCode[]>();
  for (const code of codes) {
    const status = REQUEST_ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, { description: string; content: { "application/problem+json": { schema: typeof ProblemSchema; example: unknown } } }> = {};
  for (const [status, list] of byStatus) {
    const code = list[0]!;
    const entry = REQUEST_ERRORS[code];
    responses[String(status)] = {
      description: list.map((c) => REQUEST_ERRORS[c].title).join("; "),
      content: {
        "application/problem+json": {
          schema: ProblemSchema,
          example: {
            type: `https://fax.example.com/errors/${code}`,
            title: entry.title,
            status,
            detail: entry.title,
            code,
            next: entry.next,
            instance: "/v1/faxes",
            request_id: "req_01jdq3v4k8m2n5p7r9s1t3v5w7",
          },
        },
      },
    };
  }
  return responses;
}

export const AUTH_ERRORS: RequestErrorCode[] = ["auth.missing", "rate_limit.exceeded"];

export const bearerSecurity = [{ bearerAuth: [] as string[] }];

// Documented only: the idempotency middleware reads and checks the header itself.
export const IdempotencyKeyHeader = z.object({
  "Idempotency-Key": z
    .string()
    .optional()
    .openapi({
      description: "Makes retries safe: the same key and body within 24 h return the first response.",
      example: "5d0b2f7e-9d8c-4c4b-9f4e-2a9a3c7f1e01",
    }),
});
