// `npm run -s audit:verify` as a compliance officer runs it, on files as the export writes them.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, chainEntry, GENESIS_HASH, verifyChain, type AuditEntry } from "../../src/audit/chain";
import { signCheckpoint } from "../../src/audit/checkpoint";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "audit-verify-"));
const SEED = Buffer.alloc(32, 7).toString("base64");

function chain(n: number): string[] {
  let head = { seq: 0, hash: GENESIS_HASH };
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const entry: AuditEntry = chainEntry(
      {
        id: `aud_01jd8x6r3q5v7w9y0a2b4c6d${String(i).padStart(2, "0")}`,
        occurred_at: new Date(Date.UTC(2026, 10, 23, 15, 0, i)).toISOString(),
        actor: { type: "api_key", id: "key_01jd8x6r3q5v7w9y0a2b4c6d8e" },
        action: "fax.send",
        target: { type: "fax", id: `fax_01jd8x6r3q5v7w9y0a2b4c6d${String(i).padStart(2, "0")}` },
        request_id: null,
        ip: "203.0.113.7",
        user_agent: null,
      },
      head,
    );
    head = entry;
    lines.push(canonicalJson(entry));
  }
  return lines;
}

async function verify(lines: string[], ...args: string[]): Promise<{ code: number; out: string }> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, lines.join("\n") + "\n");
  try {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "src/audit/cli.ts", file, ...args]);
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, out: e.stderr };
  }
}

describe("npm run audit:verify", () => {
  const lines = chain(8);

  it("passes a whole chain and names the first bad seq of a changed, removed or reordered line", async () => {
    expect(await verify(lines)).toMatchObject({ code: 0, out: expect.stringContaining("OK: 8 entries, seq 1..8") });
    const changed = [...lines];
    changed[4] = changed[4]!.replace("203.0.113.7", "198.51.100.1");
    expect(await verify(changed)).toMatchObject({ code: 1, out: expect.stringContaining("first bad seq 5") });
    expect(await verify([...lines.slice(0, 6), ...lines.slice(7)])).toMatchObject({ code: 1, out: expect.stringContaining("first bad seq 7") });
    expect(await verify([lines[0]!, lines[1]!, lines[3]!, lines[2]!, ...lines.slice(4)])).toMatchObject({ code: 1, out: expect.stringContaining("first bad seq 3") });
  });

  it("with a signed checkpoint, names the first missing seq of a cut tail and refuses a forged checkpoint", async () => {
    const head = JSON.parse(lines[7]!) as AuditEntry;
    const checkpoint = await signCheckpoint(SEED, { account_id: "acct_x", seq: head.seq, hash: head.hash }, "2026-11-24T00:00:00.000Z");
    const file = join(dir, "checkpoint.json");
    writeFileSync(file, JSON.stringify(checkpoint));
    expect(await verify(lines, "--checkpoint", file)).toMatchObject({ code: 0, out: expect.stringContaining("reaches the checkpoint") });
    expect(await verify(lines.slice(0, 5), "--checkpoint", file)).toMatchObject({ code: 1, out: expect.stringContaining("first bad seq 6") });
    expect(await verify(lines.slice(0, 5), "--checkpoint", file, "--public-key", checkpoint.public_key)).toMatchObject({ code: 1, out: expect.stringContaining("first bad seq 6") });

    const forged = join(dir, "forged.json");
    writeFileSync(forged, JSON.stringify({ ...checkpoint, seq: 5, hash: (JSON.parse(lines[4]!) as AuditEntry).hash }));
    expect(await verify(lines.slice(0, 5), "--checkpoint", forged)).toMatchObject({ code: 1, out: expect.stringContaining("signature is not valid") });
    const other = await signCheckpoint(Buffer.alloc(32, 9).toString("base64"), { account_id: "acct_x", seq: 5, hash: "x" }, "2026-11-24T00:00:00.000Z");
    expect(await verify(lines, "--checkpoint", file, "--public-key", other.public_key)).toMatchObject({ code: 1, out: expect.stringContaining("signature is not valid") });
  });

  it("prints its usage without a file", async () => {
    try {
      await run(process.execPath, ["--import", "tsx", "src/audit/cli.ts"]);
      expect.unreachable();
    } catch (error) {
      expect((error as { code: number; stderr: string }).stderr).toContain("usage:");
    }
  });
});

describe("the chain parser, fuzzed", () => {
  const lines = chain(4);

  it("never throws on arbitrary lines, and accepts nothing but an intact chain", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.json()), { minLength: 1, maxLength: 6 }), (random) => {
        const result = verifyChain(random);
        if (random.every((l) => l.trim() === "")) expect(result.ok).toBe(true);
        else expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("names the right seq when the first line's own seq field was changed (found by the property below)", () => {
    const mutated = [...lines];
    mutated[0] = lines[0]!.replace('"seq":1,', '"seq":3,');
    expect(mutated[0]).not.toBe(lines[0]);
    const result = verifyChain(mutated);
    expect(result).toMatchObject({ ok: false, seq: 1 });
  });

  it("any single changed character of an exported line is caught at that line's seq or the next", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (index, at, ch) => {
        const line = lines[index]!;
        const position = at % line.length;
        if (line[position] === ch) return;
        const mutated = [...lines];
        mutated[index] = line.slice(0, position) + ch + line.slice(position + 1);
        const result = verifyChain(mutated);
        expect(result.ok).toBe(false);
        if (!result.ok) expect([index + 1, index + 2]).toContain(result.seq);
      }),
      { numRuns: 500 },
    );
  });
});
