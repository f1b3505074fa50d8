/** Received (inbound) faxes: the list, newest first, with search and the download flag. */
import type { Transport } from "../http.js";
import { PageRequest, type Page } from "../pagination.js";
import type { ReceivedFaxList, ReceivedFaxListParams } from "../types.js";

export type ReceivedFax = ReceivedFaxList["data"][number];

export class Received {
  constructor(private readonly transport: Transport) {}

  list(params: ReceivedFaxListParams = {}): PageRequest<ReceivedFax> {
    return new PageRequest((cursor) => this.transport.request<Page<ReceivedFax>>("GET", "/v1/faxes/received", { query: { ...params, cursor: cursor ?? params.cursor } }));
  }
}
