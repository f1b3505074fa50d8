/**
 * The offline label extractor reads labels as OCR prints them (issue 14 point 4 of session 3): "D.0O.B." is
 * D.O.B., "PATlENT" is PATIENT, "C1aim #" is Claim #; values keep their digits. Fuzzed: it never throws.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ExtractionSchema } from "../../src/inbound/extraction-schema.js";
import { extractByLabels, labelWords, undoOcrConfusions } from "../../src/inbound/label-extractor.js";
import { FORM_SCHEMA } from "../fixtures/fax-forms.js";

const schema = FORM_SCHEMA as unknown as ExtractionSchema;

describe("labels as OCR reads them", () => {
  it.each([
    ["D.0O.B.", "D.O.B."],
    ["D.O.B.", "D.O.B."],
    ["D,O,B", "D.O.B"],
    ["D0B", "DOB"],
    ["PATlENT", "PATIENT"],
    ["Member 1D", "Member ID"],
    ["C1aim #", "Claim #"],
    ["Date 0f Birth", "Date of Birth"],
    ["CLAlM N0", "CLAIM NO"],
    // Left alone: words without confusions, values, and abbreviations whose letters are not doubled glyphs.
    ["Patient's Name", "Patient's Name"],
    ["03/07/1980 10.5", "03/07/1980 10.5"],
    ["Acc.No.", "Acc.No."],
    ["all", "all"],
  ])("%s reads as %s", (printed, meant) => {
    expect(undoOcrConfusions(printed)).toBe(meant);
  });

  it.each(["D.0O.B.", "D.O.B.", "D. O. B.", "D O B", "D,O,B", "D0B", "DOB", "Date 0f Birth", "Birth Date", "B1RTH DATE"])("%s names the date of birth", (label) => {
    expect(labelWords(label)).toEqual(["date", "birth"]);
  });

  it("extracts every field of a form whose labels OCR misread", () => {
    const text = ["PATlENT: Maria Okafor", "D.0O.B.: 03/07/1980", "C1aim #: CLM-2024-00917", "Member 1D: XQ4471093", "T0TAL DUE: $1,234.50", "Referring Physician: Dr. Alan Grant"].join("\n");
    expect(extractByLabels(schema, text)).toEqual({
      patient_name: "Maria Okafor",
      date_of_birth: "1980-03-07",
      claim_number: "CLM-2024-00917",
      member_id: "XQ4471093",
      invoice_total: 1234.5,
      referring_physician: "Dr. Alan Grant",
      fax_back_number: null,
    });
  });

  it("never throws and keeps the schema's shape on any text, OCR-like or not (fuzzed)", () => {
    const glyphs = fc.constantFrom(..."DOB0O1lI|.,: \n#'PATIENTdateofbirth$/-");
    const text = fc.oneof(fc.string({ maxLength: 400 }), fc.array(glyphs, { maxLength: 300 }).map((g) => g.join("")), fc.string({ unit: "binary", maxLength: 200 }));
    fc.assert(
      fc.property(text, (t) => {
        expect(typeof undoOcrConfusions(t)).toBe("string");
        expect(Object.keys(extractByLabels(schema, t)).sort()).toEqual(Object.keys(FORM_SCHEMA.properties).sort());
      }),
      { numRuns: 2000 },
    );
  });
});
