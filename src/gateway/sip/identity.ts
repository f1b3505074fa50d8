/**
 * What this user agent says about itself and how it names things: the methods it allows (§20.5),
 * its User-Agent (§20.41), the OPTIONS capabilities (§11.2), and the random tokens for Call-IDs,
 * tags and branches (§8.1.1.3, §8.1.1.7, §19.3). The UA core, a dialog and both call sides use them.
 */
import { randomBytes } from "node:crypto";
import type { SipHeaders } from "./message.js";

export const ALLOWED_METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"];
export const USER_AGENT = "edgefax-gateway";

/** Random hex for Call-IDs and tags (§8.1.1.3, §19.3). */
export const token = (bytes = 8): string => randomBytes(bytes).toString("hex");
/** §8.1.1.7: branch IDs start with the magic cookie z9hG4bK. */
export const newBranch = (): string => `z9hG4bK${token(8)}`;

/** The headers that answer OPTIONS (§11.2) and go with our 200 to an INVITE. */
export function capabilities(): SipHeaders {
  return [
    ["Allow", ALLOWED_METHODS.join(", ")],
    ["Accept", "application/sdp"],
    ["User-Agent", USER_AGENT],
  ];
}
