/** The account: API keys, credits (balance, bundles, purchases, transactions) and settings. */
import type { Transport } from "../http.js";
import { PageRequest, type Page } from "../pagination.js";
import type {
  ApiKey,
  ApiKeyCreate,
  ApiKeyCreated,
  ApiKeyListParams,
  Balance,
  CreditBundle,
  CreditPurchase,
  CreditPurchaseCreate,
  CreditTransaction,
  CreditTransactionListParams,
  Settings,
  SettingsUpdate,
  SettingsUpdated,
} from "../types.js";
import type { CallOptions } from "./faxes.js";

export class ApiKeys {
  constructor(private readonly transport: Transport) {}

  /** The new key's secret is in the answer only. */
  create(params: ApiKeyCreate, options: CallOptions = {}): Promise<ApiKeyCreated> {
    return this.transport.request("POST", "/v1/api-keys", { json: params, ...options });
  }

  list(params: ApiKeyListParams = {}): PageRequest<ApiKey> {
    return new PageRequest((cursor) => this.transport.request<Page<ApiKey>>("GET", "/v1/api-keys", { query: { ...params, cursor: cursor ?? params.cursor } }));
  }

  revoke(keyId: string, options: CallOptions = {}): Promise<ApiKey> {
    return this.transport.request("DELETE", `/v1/api-keys/${encodeURIComponent(keyId)}`, options);
  }
}

export class Credits {
  constructor(private readonly transport: Transport) {}

  /** `{ credits, low_balance_threshold }`; one credit is one page sent. */
  get(options: CallOptions = {}): Promise<Balance> {
    return this.transport.request("GET", "/v1/balance", options);
  }

  async bundles(options: CallOptions = {}): Promise<CreditBundle[]> {
    return (await this.transport.request<{ data: CreditBundle[] }>("GET", "/v1/balance/bundles", options)).data;
  }

  purchase(params: CreditPurchaseCreate, options: CallOptions = {}): Promise<CreditPurchase> {
    return this.transport.request("POST", "/v1/balance/purchases", { json: params, ...options });
  }

  transactions(params: CreditTransactionListParams = {}): PageRequest<CreditTransaction> {
    return new PageRequest((cursor) =>
      this.transport.request<Page<CreditTransaction>>("GET", "/v1/balance/transactions", { query: { ...params, cursor: cursor ?? params.cursor } }),
    );
  }
}

export class AccountSettings {
  constructor(private readonly transport: Transport) {}

  get(options: CallOptions = {}): Promise<Settings> {
    return this.transport.request("GET", "/v1/settings", options);
  }

  update(changes: SettingsUpdate, options: CallOptions = {}): Promise<SettingsUpdated> {
    return this.transport.request("PATCH", "/v1/settings", { json: changes, ...options });
  }
}
