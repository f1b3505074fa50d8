/**
 * `npm run -s audit:verify FILE.jsonl [--checkpoint FILE] [--public-key BASE64]`: checks an export of
 * GET /v1/audit-events/export. Exit 0 and a summary when the chain holds; exit 1 naming the first bad
 * seq when a line was changed, removed or reordered, or (with a signed checkpoint) the tail was cut.
 * Without --public-key the checkpoint's own key is used and its key id printed: compare it with the one
 * your operator publishes.
 */
import { readFileSync } from "node:fs";
import { verifyChain } from "./chain";
import { checkpointSignatureValid, type Checkpoint } from "./checkpoint";

const USAGE = "usage: npm run -s audit:verify FILE.jsonl [--checkpoint FILE] [--public-key BASE64]";

async function main(argv: string[]): Promise<number> {
  const file = argv.find((a, i) => !a.startsWith("--") && !["--checkpoint", "--public-key"].includes(argv[i - 1] ?? ""));
  const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  if (!file) {
    console.error(USAGE);
    return 2;
  }
  const checkpointFile = option("--checkpoint");
  let checkpoint: Checkpoint | undefined;
  if (checkpointFile) {
    checkpoint = JSON.parse(readFileSync(checkpointFile, "utf8")) as Checkpoint;
    if (!(await checkpointSignatureValid(checkpoint, option("--public-key")))) {
      console.error(`FAIL: the checkpoint's signature is not valid${option("--public-key") ? " for the given public key" : ""}`);
      return 1;
    }
  }
  const result = verifyChain(readFileSync(file, "utf8").split("\n"), checkpoint);
  if (!result.ok) {
    console.error(`FAIL: first bad seq ${result.seq}: ${result.reason}`);
    return 1;
  }
  const span = result.head ? `seq ${result.first_seq}..${result.head.seq}, head ${result.head.hash}` : "empty";
  console.log(`OK: ${result.entries} entries, ${span}${checkpoint ? `; reaches the checkpoint of ${checkpoint.signed_at} (seq ${checkpoint.seq}, key id ${checkpoint.key_id})` : ""}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
