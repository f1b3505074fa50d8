/** Partners: external users (the partner's own ids), their inboxes; usage and monthly invoices. */
import type { Transport } from "../http.js";
import { PageRequest, type Page } from "../pagination.js";
import type { DeletedExternalUser, ExternalUser, ExternalUserListParams, ExternalUserPut, InboxFax, InboxFaxPatch, InboxParams, Invoice, InvoiceListParams, InvoicePayment, InvoiceSummary, Usage, UsageParams } from "../types.js";
import type { CallOptions } from "./faxes.js";

const id = (value: string) => encodeURIComponent(value);

export class ExternalUsers {
  constructor(private readonly transport: Transport) {}

  /** Creates or replaces the user with your id `externalUserId` (PUT: safe to repeat). */
  put(externalUserId: string, params: ExternalUserPut, options: CallOptions = {}): Promise<ExternalUser> {
    return this.transport.request("PUT", `/v1/external-users/${id(externalUserId)}`, { json: params, ...options });
  }

  get(externalUserId: string, options: CallOptions = {}): Promise<ExternalUser> {
    return this.transport.request("GET", `/v1/external-users/${id(externalUserId)}`, options);
  }

  list(params: ExternalUserListParams = {}): PageRequest<ExternalUser> {
    return new PageRequest((cursor) => this.transport.request<Page<ExternalUser>>("GET", "/v1/external-users", { query: { ...params, cursor: cursor ?? params.cursor } }));
  }

  /** Deletes the user and releases its numbers. */
  delete(externalUserId: string, options: CallOptions = {}): Promise<DeletedExternalUser> {
    return this.transport.request("DELETE", `/v1/external-users/${id(externalUserId)}`, options);
  }

  /** The user's received faxes, newest first (`q` searches their text and metadata). */
  inbox(externalUserId: string, params: InboxParams = {}): PageRequest<InboxFax> {
    const path = `/v1/external-users/${id(externalUserId)}/inbox`;
    return new PageRequest((cursor) => this.transport.request<Page<InboxFax>>("GET", path, { query: { ...params, cursor: cursor ?? params.cursor } }));
  }

  /** Marks a fax in the user's inbox read (`{ read: true }`) or unread; reading it under the user's id marks it read too. */
  markRead(externalUserId: string, faxId: string, params: InboxFaxPatch, options: CallOptions = {}): Promise<InboxFax> {
    return this.transport.request("PATCH", `/v1/external-users/${id(externalUserId)}/inbox/${id(faxId)}`, { json: params, ...options });
  }
}

export class Billing {
  constructor(private readonly transport: Transport) {}

  usage(params: UsageParams = {}, options: CallOptions = {}): Promise<Usage> {
    return this.transport.request("GET", "/v1/usage", { query: params, ...options });
  }

  invoices(params: InvoiceListParams = {}): PageRequest<InvoiceSummary> {
    return new PageRequest((cursor) => this.transport.request<Page<InvoiceSummary>>("GET", "/v1/invoices", { query: { ...params, cursor: cursor ?? params.cursor } }));
  }

  invoice(invoiceId: string, options: CallOptions = {}): Promise<Invoice> {
    return this.transport.request("GET", `/v1/invoices/${id(invoiceId)}`, options);
  }

  /** Pays a closed statement: at once with a test key; with Stripe, at the returned `checkout_url`. */
  payInvoice(invoiceId: string, options: CallOptions = {}): Promise<InvoicePayment> {
    return this.transport.request("POST", `/v1/invoices/${id(invoiceId)}/pay`, options);
  }
}
