/**
 * The extraction schema subset (issue 14 point 3): refused with a JSON pointer when it holds what we cannot
 * extract, fuzzed so no input breaks the checker, the API or the normaliser.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkExtractionSchema, FIELD_TYPES, type ExtractionSchema, type FieldSchema } from "../../../src/inbound/extraction-schema";
import { conformToSchema, normalizeDate, normalizeNumber } from "../../../src/inbound/extracted-values";
import { api, createTestAccount, expectProblem } from "../helpers";

const leaf = fc.oneof(
  fc.record({ type: fc.constant("string" as const), description: fc.string({ maxLength: 50 }) }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constant("string" as const), format: fc.constant("date" as const) }),
  fc.record({ type: fc.constantFrom("number" as const, "integer" as const, "boolean" as const) }),
);
const fieldName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);
const field: fc.Arbitrary<FieldSchema> = fc.letrec<{ field: FieldSchema }>((tie) => ({
  field: fc.oneof(
    // The root is level 1 and its fields level 2: two more levels of nesting, then a leaf, stays within the 5 allowed.
    { maxDepth: 2, withCrossShrink: true },
    leaf,
    fc.record({ type: fc.constant("array" as const), items: tie("field") }),
    fc.record({ type: fc.constant("object" as const), properties: fc.dictionary(fieldName, tie("field"), { minKeys: 1, maxKeys: 3 }) }),
  ),
})).field;
const validSchema: fc.Arbitrary<ExtractionSchema> = fc.record({ type: fc.constant("object" as const), properties: fc.dictionary(fieldName, field, { minKeys: 1, maxKeys: 5 }) });

describe("the extraction schema", () => {
  it("accepts the subset and refuses everything else with a pointer to it", () => {
    expect(checkExtractionSchema({ type: "object", properties: { dob: { type: "string", format: "date", description: "Date of birth" }, items: { type: "array", items: { type: "object", properties: { sku: { type: "string" } }, required: ["sku"] } } } })).toEqual([]);
    const cases: [unknown, string, RegExp][] = [
      [[], "", /JSON object/],
      [{ type: "array", items: { type: "string" } }, "/type", /root .* is an object/],
      [{ type: "object" }, "/properties", /needs properties/],
      [{ type: "object", properties: { a: { type: "string", pattern: "^x" } } }, "/properties/a/pattern", /`pattern` is not supported on a string field/],
      [{ type: "object", properties: { a: { type: "date" } } }, "/properties/a/type", /type is one of string, number, integer, boolean, array, object/],
      [{ type: "object", properties: { a: { type: "string", format: "email" } } }, "/properties/a/format", /only format supported is "date"/],
      [{ type: "object", properties: { a: { type: "array" } } }, "/properties/a/items", /says what its items are/],
      [{ type: "object", properties: { "a/b~c": { type: "string" } } }, "/properties/a~1b~0c", /field names are/],
      [{ type: "object", properties: { a: { type: "object", properties: { b: { type: "number", minimum: 0 } } } } }, "/properties/a/properties/b/minimum", /not supported on a number field/],
      [{ type: "object", properties: { a: { type: "string" } }, required: ["b"] }, "/required", /names of this object's properties/],
      [{ type: "object", properties: { a: { type: "string", $ref: "#/x" } } }, "/properties/a/$ref", /not supported/],
    ];
    for (const [schema, pointer, detail] of cases) {
      const problems = checkExtractionSchema(schema);
      expect(problems.map((p) => p.pointer), JSON.stringify(schema)).toContain(pointer);
      expect(problems.find((p) => p.pointer === pointer)!.detail).toMatch(detail);
    }
    let deep: FieldSchema = { type: "string" };
    for (let i = 0; i < 6; i++) deep = { type: "object", properties: { x: deep } };
    expect(checkExtractionSchema({ type: "object", properties: { x: deep } }).map((p) => p.detail).join()).toMatch(/nest at most 5 levels/);
  });

  it("never throws on any input, and accepts every schema of the subset (fuzzed)", () => {
    fc.assert(fc.property(fc.anything(), (input) => Array.isArray(checkExtractionSchema(input))), { numRuns: 500 });
    fc.assert(fc.property(fc.record({ type: fc.constant("object"), properties: fc.dictionary(fc.string(), fc.anything()) }), (input) => Array.isArray(checkExtractionSchema(input))), { numRuns: 300 });
    fc.assert(
      fc.property(validSchema, (schema) => {
        expect(checkExtractionSchema(schema)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("puts any answer into the schema's shape: every field present, extra keys gone (fuzzed)", () => {
    fc.assert(
      fc.property(validSchema, fc.anything(), (schema, answer) => {
        const data = conformToSchema(schema, answer);
        expect(Object.keys(data).sort()).toEqual(Object.keys(schema.properties).sort());
        JSON.stringify(data);
      }),
      { numRuns: 300 },
    );
  });

  it("normalises dates to ISO 8601 and numbers to plain numbers", () => {
    expect(["03/07/1980", "3-7-80", "1980-03-07", "March 7, 1980", "7 Mar 1980", "Mar. 7th, 1980"].map(normalizeDate)).toEqual(Array(6).fill("1980-03-07"));
    expect(normalizeDate("31.12.2024")).toBe("2024-12-31");
    expect(["02/30/2024", "13/13/2024", "yesterday", ""].map(normalizeDate)).toEqual([null, null, null, null]);
    expect(["$1,234.50", "1234.5", "-12", "-$3", "20.00 USD", "12 apples", "1,23", "1 234"].map(normalizeNumber)).toEqual([1234.5, 1234.5, -12, -3, 20, null, null, null]);
    fc.assert(
      fc.property(fc.string(), (s) => {
        const date = normalizeDate(s);
        return date === null || /^\d{4}-\d{2}-\d{2}$/.test(date);
      }),
    );
  });

  it("is refused by PUT /v1/numbers/{id}/extraction-schema with 422 and pointers into the body, fuzzed", async () => {
    const account = await createTestAccount("live");
    const numbers = await (await api("/v1/numbers", { key: account.key })).json<{ data: { id: string }[] }>();
    const path = `/v1/numbers/${numbers.data[0]!.id}/extraction-schema`;
    const body = await expectProblem(await api(path, { method: "PUT", key: account.key, json: { extraction_schema: { type: "object", properties: { a: { type: "string", pattern: "x" } } } } }), 422, "extraction_schema.invalid");
    expect(body.errors).toEqual([{ pointer: "/extraction_schema/properties/a/pattern", detail: expect.stringContaining("`pattern` is not supported") }]);
    await expectProblem(await api(path, { method: "PUT", key: account.key, json: { extraction_schema: {}, extra: 1 } }), 422, "request.invalid");
    await expectProblem(await api("/v1/numbers/num_00000000000000000000000000/extraction-schema", { method: "PUT", key: account.key, json: { extraction_schema: null } }), 404, "number.not_found");
    const set = await api(path, { method: "PUT", key: account.key, json: { extraction_schema: { type: "object", properties: { a: { type: "string" } } } } });
    expect(set.status).toBe(200);
    const got = await (await api(path, { key: account.key })).json<{ extraction_schema: unknown; schema_version: string }>();
    expect(got).toMatchObject({ extraction_schema: { type: "object", properties: { a: { type: "string" } } }, schema_version: expect.stringMatching(/^sch_/) });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }), async (schema) => {
        const res = await api(path, { method: "PUT", key: account.key, json: { extraction_schema: schema } });
        expect([200, 422]).toContain(res.status);
        if (res.status === 422) expect(((await res.json()) as { code: string }).code).toMatch(/^(extraction_schema\.invalid|request\.invalid)$/);
      }),
      { numRuns: 40 },
    );
    // Only owners: another account cannot read or write it.
    const other = await createTestAccount("live");
    await expectProblem(await api(path, { key: other.key }), 404, "number.not_found");
    expect(FIELD_TYPES).toHaveLength(6);
  });
});

describe("PATCH /v1/settings extraction_schema", () => {
  it("sets, shows with its version, refuses with pointers, and removes the account's schema", async () => {
    const account = await createTestAccount();
    const schema = { type: "object", properties: { claim_number: { type: "string" } } };
    const set = await api("/v1/settings", { method: "PATCH", key: account.key, json: { extraction_schema: schema } });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ extraction_schema: schema, extraction_schema_version: expect.stringMatching(/^sch_[0-9a-f]{12}$/) });
    const bad = await expectProblem(await api("/v1/settings", { method: "PATCH", key: account.key, json: { extraction_schema: { type: "object", properties: { x: { type: "string", minLength: 2 } } } } }), 422, "extraction_schema.invalid");
    expect(bad.errors).toEqual([{ pointer: "/extraction_schema/properties/x/minLength", detail: expect.stringContaining("`minLength` is not supported") }]);
    const removed = await api("/v1/settings", { method: "PATCH", key: account.key, json: { extraction_schema: null } });
    expect(await removed.json()).toMatchObject({ extraction_schema: null, extraction_schema_version: null });
  });
});
