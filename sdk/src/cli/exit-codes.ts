/** The CLI's exit codes (README "edgefax CLI" lists them; scripts may rely on them). */
export const EXIT = {
  /** Done; with --watch, the fax was delivered. */
  ok: 0,
  /** The fax failed or was canceled (send --watch, status of a final fax that did not deliver). */
  faxFailed: 1,
  /** Wrong command line or configuration (unknown flag, missing API key or file). */
  usage: 2,
  /** The API refused the request (a 4xx problem: its code is printed). */
  refused: 3,
  /** The API could not be reached, or kept failing (network errors, 5xx after retries). */
  unavailable: 4,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

export class UsageError extends Error {
  override name = "UsageError";
}
