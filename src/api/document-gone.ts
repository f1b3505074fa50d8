/** A fax file that is not there: 410 document.purged once the retention purge deleted it (issue 15 point 6), else 404 fax.no_document. */
import { ApiError } from "../errors/api-error";

export function documentGone(purgedAt: string | null | undefined): ApiError {
  return purgedAt ? new ApiError("document.purged", { detail: `The fax's files were deleted by the retention policy at ${purgedAt}.` }) : new ApiError("fax.no_document");
}
