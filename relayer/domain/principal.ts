// Who is calling: the API key that authenticated a request and what it may do.

export const SCOPES = ["merchant", "compliance", "auditor", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface Principal {
  keyId: string;
  scope: Scope;
  /** Set exactly when scope is "merchant": the merchant the key acts for. */
  merchantId?: string;
}
