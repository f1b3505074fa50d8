/**
 * Progress of one attempt, reported to the Worker in order (page 2 never overtakes page 1, the result
 * comes last) and at most one result per attempt: once a result is sent (or the attempt was handed back
 * at shutdown) anything later is dropped, since the Worker has moved on.
 */
import type { FaxFailureCode } from "../../errors/fax-failures.js";
import { EDGE_PATHS, type GatewayEvent, type GatewayJob } from "../../contract/gateway.js";
import type { EdgeClient } from "./edge-client.js";
import type { Logger } from "../../lib/log.js";

type Progress =
  | { kind: "ringing" | "negotiated"; detail?: Record<string, unknown> }
  | { kind: "page_sent"; page: number };
type Result = { kind: "delivered"; remote_ident: string | null } | { kind: "failed"; code: FaxFailureCode; detail: string; t30_result: string | null; pages_sent?: number };

export interface AttemptReporter {
  progress(p: Progress): void;
  /** Skipped while earlier reports are still on their way (they count as word from the gateway too). */
  heartbeat(): void;
  /** Sends the result after everything queued before it; resolves once the Worker has it (or gave up). */
  result(r: Result): Promise<void>;
  readonly finished: boolean;
}

export function createAttemptReporter(edge: EdgeClient, job: Pick<GatewayJob, "fax_id" | "attempt_id">, log: Logger): AttemptReporter {
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let finished = false;
  const ref = { fax_id: job.fax_id, attempt_id: job.attempt_id };
  const enqueue = (message: GatewayEvent): Promise<void> => {
    pending++;
    chain = chain.then(async () => {
      try {
        const res = await edge.post(EDGE_PATHS.events, message);
        if (res.status >= 300) log.warn("the edge refused a report", { kind: message.kind, status: res.status, detail: JSON.stringify(res.body).slice(0, 300) });
      } catch (err) {
        log.error("could not report to the edge", { kind: message.kind, error: (err as Error).message });
      } finally {
        pending--;
      }
    });
    return chain;
  };
  return {
    progress(p) {
      if (!finished) void enqueue({ ...ref, ...p });
    },
    heartbeat() {
      if (!finished && pending === 0) void enqueue({ ...ref, kind: "heartbeat" });
    },
    result(r) {
      if (finished) return chain;
      finished = true;
      return enqueue({ ...ref, ...r });
    },
    get finished() {
      return finished;
    },
  };
}
