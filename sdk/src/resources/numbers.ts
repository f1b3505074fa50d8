/** Fax numbers: provision, list, get, release. */
import type { Transport } from "../http.js";
import { PageRequest, type Page } from "../pagination.js";
import type { ExtractionSchema, ExtractionSchemaPut, FaxNumber, NumberCreate, NumberListParams } from "../types.js";
import type { CallOptions } from "./faxes.js";

const id = (value: string) => encodeURIComponent(value);

export class Numbers {
  constructor(private readonly transport: Transport) {}

  provision(params: NumberCreate, options: CallOptions = {}): Promise<FaxNumber> {
    return this.transport.request<FaxNumber>("POST", "/v1/numbers", { json: params, ...options });
  }

  list(params: NumberListParams = {}): PageRequest<FaxNumber> {
    return new PageRequest((cursor) => this.transport.request<Page<FaxNumber>>("GET", "/v1/numbers", { query: { ...params, cursor: cursor ?? params.cursor } }));
  }

  get(numberId: string, options: CallOptions = {}): Promise<FaxNumber> {
    return this.transport.request<FaxNumber>("GET", `/v1/numbers/${id(numberId)}`, options);
  }

  /** The JSON Schema received faxes to this number are extracted into (the account's when it has none). */
  extractionSchema(numberId: string, options: CallOptions = {}): Promise<ExtractionSchema> {
    return this.transport.request<ExtractionSchema>("GET", `/v1/numbers/${id(numberId)}/extraction-schema`, options);
  }

  setExtractionSchema(numberId: string, params: ExtractionSchemaPut, options: CallOptions = {}): Promise<ExtractionSchema> {
    return this.transport.request<ExtractionSchema>("PUT", `/v1/numbers/${id(numberId)}/extraction-schema`, { json: params, ...options });
  }

  release(numberId: string, options: CallOptions = {}): Promise<FaxNumber> {
    return this.transport.request<FaxNumber>("DELETE", `/v1/numbers/${id(numberId)}`, options);
  }
}
