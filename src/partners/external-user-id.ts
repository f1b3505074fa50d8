/** The partner's own id for one of its users (DESIGN "Wave 2 contract", partners): 1-128 of [A-Za-z0-9._:-]. */
import { z } from "@hono/zod-openapi";

export const EXTERNAL_USER_ID_RULE = "1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'";

export const ExternalUserIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: `external_user_id must be ${EXTERNAL_USER_ID_RULE}` })
  .openapi({ description: `Your own id for the user: ${EXTERNAL_USER_ID_RULE}.`, example: "patient-8841" });
