/**
 * Worker entry (docs/architecture.md "Layout"): the Hono app for fetch, the queue consumers,
 * the cron handler, and the Durable Object classes.
 */
import { createApp } from "./api/app";
import { runAuditMaintenance } from "./audit/maintenance";
import { closeStatements } from "./billing/statements";
import { handleFaxJob, isInboundJob, type FaxJob } from "./fax/jobs";
import { runScheduledMaintenance } from "./fax/maintenance";
import { handleInboundJob } from "./inbound/pipeline";
import { log } from "./lib/log";
import { createPortal } from "./portal";
import { handleWebhookBatch, recordDeadLetters } from "./webhooks/consumer";

export { FaxObject } from "./fax/fax-object";
export { IdempotencyObject } from "./api/middleware/idempotency-object";
export { RateLimiterObject } from "./api/middleware/rate-limiter-object";
export { AuditLogObject } from "./audit/log-object";
export { LedgerObject } from "./billing/ledger-object";
export { EventStreamObject } from "./webhooks/event-stream-object";
export { ApiKeyObject } from "./db/api-key-object";

const app = createApp();
// The partner portal (issue 19): its pages under /portal, beside the API.
app.route("/", createPortal());

export default {
  fetch: app.fetch,

  async queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
    if (batch.queue === "webhooks") return handleWebhookBatch(batch, env, (work) => ctx.waitUntil(work));
    if (batch.queue === "dead-letters") return recordDeadLetters(batch, env);
    for (const message of batch.messages) {
      try {
        const job = message.body as FaxJob;
        if (batch.queue === "fax-jobs") await (isInboundJob(job) ? handleInboundJob(job, env) : handleFaxJob(job, env));
        else log.info("message left for later handling", { queue: batch.queue, message_id: message.id });
        message.ack();
      } catch (error) {
        log.error("queue message failed; will retry", { queue: batch.queue, message_id: message.id, error: String(error) });
        message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
      }
    }
  },

  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(runScheduledMaintenance(env, controller.scheduledTime));
    ctx.waitUntil(runAuditMaintenance(env, controller.scheduledTime));
    ctx.waitUntil(closeStatements(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
