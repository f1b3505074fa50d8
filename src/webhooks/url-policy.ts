/**
 * Which URLs may receive webhooks: public https hosts only (src/lib/ssrf.ts refuses private,
 * loopback, link-local and metadata addresses). With ENVIRONMENT=local, http and https to loopback
 * are allowed as well, so a newcomer can watch deliveries arrive on their own machine. Checked when
 * an endpoint is saved and again before every attempt.
 */
import { settings } from "../config";
import { assertFetchableUrl, ForbiddenUrlError } from "../lib/ssrf";

/** Why the URL may not receive webhooks, or null when it may. */
export function webhookUrlRefusal(env: Env, url: string): string | null {
  try {
    assertFetchableUrl(url, { allowHttpLoopback: settings(env).local });
    return null;
  } catch (error) {
    if (error instanceof ForbiddenUrlError) return error.reason;
    throw error;
  }
}
