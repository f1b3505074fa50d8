/** `new Edgefax({ apiKey, baseUrl })`: the API's resources over one Transport. */
import type { PathReader } from "./files.js";
import { Transport, type ClientOptions } from "./http.js";
import { AccountSettings, ApiKeys, Credits } from "./resources/account.js";
import { Events } from "./resources/events.js";
import { Billing, ExternalUsers } from "./resources/partners.js";
import { Faxes } from "./resources/faxes.js";
import { Numbers } from "./resources/numbers.js";
import { Received } from "./resources/received.js";
import { Webhooks } from "./resources/webhooks.js";

export class Edgefax {
  readonly faxes: Faxes;
  readonly received: Received;
  readonly numbers: Numbers;
  readonly webhooks: Webhooks;
  readonly events: Events;
  readonly apiKeys: ApiKeys;
  /** Credits: `balance.get()`, `bundles()`, `purchase()`, `transactions()`. */
  readonly balance: Credits;
  readonly settings: AccountSettings;
  readonly externalUsers: ExternalUsers;
  /** Usage (`usage()`) and monthly statements (`invoices()`, `invoice(id)`). */
  readonly billing: Billing;
  /** For requests the resources do not cover yet: `client.transport.request("GET", "/v1/…")`. */
  readonly transport: Transport;

  constructor(options: ClientOptions = {}, readPath?: PathReader) {
    this.transport = new Transport(options);
    this.faxes = new Faxes(this.transport, readPath);
    this.received = new Received(this.transport);
    this.numbers = new Numbers(this.transport);
    this.webhooks = new Webhooks(this.transport);
    this.events = new Events(this.transport);
    this.apiKeys = new ApiKeys(this.transport);
    this.balance = new Credits(this.transport);
    this.settings = new AccountSettings(this.transport);
    this.externalUsers = new ExternalUsers(this.transport);
    this.billing = new Billing(this.transport);
  }
}
