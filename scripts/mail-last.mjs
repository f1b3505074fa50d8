// @ts-check
// `npm run -s mail:last`: prints the newest message in the local outbox (scripts/local-outbox.mjs) of
// `npm start`'s state directory (EDGEFAX_STATE_DIR, else .wrangler/state).
import { persistDir } from "./local-env.mjs";
import { newestMail, outboxDir, readMail } from "./local-outbox.mjs";

const file = newestMail(outboxDir(persistDir));
if (!file) {
  console.error(`The outbox ${outboxDir(persistDir)} is empty: sign up or sign in at /portal first (with npm start running).`);
  process.exit(1);
}
process.stdout.write(readMail(file));
