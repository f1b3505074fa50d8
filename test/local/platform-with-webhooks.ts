// A private `npm start` and a webhook receiver for one describe block: started before its tests, stopped after.
import { afterAll, beforeAll } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../interop/gateway/lib.js";
import { makeStateDir, removeStateDir, startLocalPlatform, type LocalPlatform } from "./server.js";

export interface PlatformWithWebhooks {
  stateDir: string;
  platform: LocalPlatform;
  hooks: WebhookReceiver;
}

/** Call inside describe(); the fields are set once beforeAll has run. */
export function usePlatformWithWebhooks(label: string): PlatformWithWebhooks {
  const the = {} as PlatformWithWebhooks;
  beforeAll(async () => {
    the.stateDir = await makeStateDir(label);
    the.hooks = await startWebhookReceiver();
    the.platform = await startLocalPlatform({ stateDir: the.stateDir });
  });
  afterAll(async () => {
    await the.platform?.stop();
    await the.hooks?.close();
    if (the.stateDir) await removeStateDir(the.stateDir);
  }, 60_000);
  return the;
}
