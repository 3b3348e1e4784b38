// Schema migrations, applied in order at start; never edit one that has shipped, add the next.
// Amounts are decimal strings of integers in the token's minor units (they exceed 2^53).
// Times are Unix milliseconds.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "core",
    sql: `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE merchants (
  id                 TEXT PRIMARY KEY,
  name               TEXT NOT NULL,
  address            TEXT NOT NULL UNIQUE,
  settlement_address TEXT NOT NULL,
  fee_bps            INTEGER NOT NULL,
  partner            TEXT NOT NULL,
  partner_share_bps  INTEGER NOT NULL,
  created_at         INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id          TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL UNIQUE,
  scope       TEXT NOT NULL CHECK (scope IN ('merchant', 'compliance', 'auditor', 'admin')),
  merchant_id TEXT REFERENCES merchants (id),
  label       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER,
  CHECK ((scope = 'merchant') = (merchant_id IS NOT NULL))
);

CREATE TABLE payment_intents (
  id                TEXT PRIMARY KEY,
  merchant_id       TEXT NOT NULL REFERENCES merchants (id),
  status            TEXT NOT NULL,
  payment_id        TEXT NOT NULL UNIQUE,
  terms             TEXT NOT NULL,
  amount            TEXT NOT NULL,
  token             TEXT NOT NULL,
  buyer             TEXT NOT NULL,
  order_ref         TEXT NOT NULL,
  capture_method    TEXT NOT NULL CHECK (capture_method IN ('automatic', 'manual')),
  metadata          TEXT NOT NULL,
  amount_capturable TEXT NOT NULL DEFAULT '0',
  amount_held       TEXT NOT NULL DEFAULT '0',
  amount_released   TEXT NOT NULL DEFAULT '0',
  amount_refunded   TEXT NOT NULL DEFAULT '0',
  failure_code      TEXT,
  failure_message   TEXT,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  UNIQUE (merchant_id, order_ref)
);
CREATE INDEX payment_intents_by_merchant ON payment_intents (merchant_id, created_at DESC, id DESC);
CREATE INDEX payment_intents_by_status ON payment_intents (merchant_id, status, created_at DESC, id DESC);

-- Stripe semantics: one row per (owner, key); the stored response is replayed for the same request.
CREATE TABLE idempotency_keys (
  owner           TEXT NOT NULL,
  key             TEXT NOT NULL,
  method          TEXT NOT NULL,
  path            TEXT NOT NULL,
  request_hash    TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
  response_status INTEGER,
  response_body   TEXT,
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (owner, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- The outbox: on-chain work that a use case decided, written in the same transaction as its domain rows.
CREATE TABLE operations (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  kind            TEXT NOT NULL,
  intent_id       TEXT REFERENCES payment_intents (id),
  payload         TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'assigned', 'succeeded', 'failed')),
  tx_id           INTEGER REFERENCES chain_transactions (id),
  failure_code    TEXT,
  failure_message TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX operations_by_status ON operations (status, id);
CREATE INDEX operations_by_intent ON operations (intent_id, id);

-- One row per nonce of a signer. The nonce is stored before signing, the raw transaction before broadcasting;
-- a replacement (re-pricing) keeps the nonce and appends its hash to hashes.
CREATE TABLE chain_transactions (
  id                       INTEGER PRIMARY KEY AUTOINCREMENT,
  signer                   TEXT NOT NULL,
  nonce                    INTEGER NOT NULL,
  status                   TEXT NOT NULL CHECK (status IN ('allocated', 'signed', 'submitted', 'mined', 'confirmed', 'failed')),
  to_address               TEXT NOT NULL,
  data                     TEXT NOT NULL,
  gas_limit                TEXT,
  max_fee_per_gas          TEXT,
  max_priority_fee_per_gas TEXT,
  raw                      TEXT,
  hashes                   TEXT NOT NULL DEFAULT '[]',
  mined_hash               TEXT,
  block_number             INTEGER,
  block_hash               TEXT,
  receipt_status           INTEGER,
  submitted_at             INTEGER,
  created_at               INTEGER NOT NULL,
  updated_at               INTEGER NOT NULL,
  UNIQUE (signer, nonce)
);
CREATE INDEX chain_transactions_by_status ON chain_transactions (signer, status, nonce);

CREATE TABLE signer_nonces (
  signer     TEXT PRIMARY KEY,
  next_nonce INTEGER NOT NULL
);

-- Everything that happened to a merchant's objects, in order; webhooks are delivered from here.
CREATE TABLE events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT NOT NULL UNIQUE,
  merchant_id TEXT REFERENCES merchants (id),
  type        TEXT NOT NULL,
  object_id   TEXT NOT NULL,
  data        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX events_by_merchant ON events (merchant_id, seq);
`,
  },
  {
    version: 2,
    name: "webhooks",
    sql: `
-- Where a merchant wants events sent. The signing secret is stored encrypted (AES-256-GCM under the master key).
CREATE TABLE webhook_endpoints (
  id                TEXT PRIMARY KEY,
  merchant_id       TEXT NOT NULL REFERENCES merchants (id),
  url               TEXT NOT NULL,
  description       TEXT NOT NULL DEFAULT '',
  secret_ciphertext TEXT NOT NULL,
  enabled_events    TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_merchant ON webhook_endpoints (merchant_id, status);

-- One message per (endpoint, event); its id is the webhook-id header, stable across retries so receivers
-- can deduplicate. cycle_attempts counts the attempts of the current retry schedule (a redelivery restarts it).
CREATE TABLE webhook_deliveries (
  id               TEXT PRIMARY KEY,
  endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id         TEXT NOT NULL REFERENCES events (id),
  status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  cycle_attempts   INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER,
  last_attempt_at  INTEGER,
  last_status_code INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);

-- The delivery log: one row per HTTP attempt.
CREATE TABLE webhook_attempts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempted_at INTEGER NOT NULL,
  status_code  INTEGER,
  error        TEXT,
  duration_ms  INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
`,
  },
  {
    version: 3,
    name: "indexer",
    sql: `
-- Every hash any of our transactions was ever signed with, to tell our own transactions from others' on chain.
CREATE TABLE chain_transaction_hashes (
  hash  TEXT PRIMARY KEY,
  tx_id INTEGER NOT NULL REFERENCES chain_transactions (id)
);
INSERT INTO chain_transaction_hashes (hash, tx_id)
  SELECT j.value, t.id FROM chain_transactions AS t, json_each(t.hashes) AS j;

-- The escrow's logs, indexed from the deployment block once they have CONFIRMATIONS blocks.
CREATE TABLE chain_logs (
  block_number INTEGER NOT NULL,
  block_hash   TEXT NOT NULL,
  log_index    INTEGER NOT NULL,
  tx_hash      TEXT NOT NULL,
  event        TEXT NOT NULL,
  payment_id   TEXT,
  data         TEXT NOT NULL,
  PRIMARY KEY (block_number, log_index)
);
CREATE INDEX chain_logs_by_payment ON chain_logs (payment_id, block_number, log_index);

-- The hash of each indexed block (the recent ones), to detect a reorg below the cursor.
CREATE TABLE indexed_blocks (
  number INTEGER PRIMARY KEY,
  hash   TEXT NOT NULL
);
`,
  },
  {
    version: 4,
    name: "payouts",
    sql: `
-- Payouts of a merchant's available balance in the escrow to its settlement address.
CREATE TABLE payouts (
  id              TEXT PRIMARY KEY,
  merchant_id     TEXT NOT NULL REFERENCES merchants (id),
  token           TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
  amount          TEXT,
  destination     TEXT,
  operation_id    INTEGER NOT NULL REFERENCES operations (id),
  scheduled       INTEGER NOT NULL DEFAULT 0,
  transaction_hash TEXT,
  failure_code    TEXT,
  failure_message TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX payouts_by_merchant ON payouts (merchant_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX payouts_one_pending ON payouts (merchant_id, token) WHERE status = 'pending';
CREATE INDEX payouts_by_operation ON payouts (operation_id);

-- When the held funds were last captured (from the chain): the confirmation window runs from it.
ALTER TABLE payment_intents ADD COLUMN held_since INTEGER NOT NULL DEFAULT 0;
CREATE INDEX payment_intents_releasable ON payment_intents (status, held_since) WHERE amount_held != '0';
`,
  },
  {
    version: 5,
    name: "kyc",
    sql: `
-- Compliance officers' KYC decisions, each sent to the registry by the compliance key; the registry holds the truth.
CREATE TABLE kyc_changes (
  id               TEXT PRIMARY KEY,
  address          TEXT NOT NULL,
  action           TEXT NOT NULL CHECK (action IN ('set', 'freeze', 'unfreeze')),
  tier             INTEGER,
  country          TEXT,
  expires_at       INTEGER,
  dossier_hash     TEXT,
  reason           TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'failed')),
  operation_id     INTEGER NOT NULL REFERENCES operations (id),
  requested_by     TEXT NOT NULL,
  transaction_hash TEXT,
  failure_code     TEXT,
  failure_message  TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX kyc_changes_by_address ON kyc_changes (address, created_at DESC, id DESC);
CREATE INDEX kyc_changes_by_time ON kyc_changes (created_at DESC, id DESC);
CREATE INDEX kyc_changes_by_operation ON kyc_changes (operation_id);
`,
  },
  {
    version: 6,
    name: "audit",
    sql: `
-- The auditor's ledger, projected from chain_logs (the escrow's logs) alone, never from the relayer's own records.
-- The time of each log's block, filled by the projection (the timeline shows it).
ALTER TABLE chain_logs ADD COLUMN block_time INTEGER;
CREATE INDEX chain_logs_by_tx ON chain_logs (tx_hash);
CREATE INDEX chain_logs_by_event ON chain_logs (event, block_number, log_index);

-- Each payment as the chain tells it (the escrow's PaymentState and the parties of its terms).
CREATE TABLE chain_payments (
  payment_id             TEXT PRIMARY KEY,
  merchant               TEXT NOT NULL,
  buyer                  TEXT NOT NULL,
  token                  TEXT NOT NULL,
  partner                TEXT,
  amount                 TEXT NOT NULL,
  order_ref              TEXT NOT NULL,
  status                 TEXT NOT NULL,
  capturable             TEXT NOT NULL,
  held                   TEXT NOT NULL,
  released               TEXT NOT NULL,
  refunded_after_release TEXT NOT NULL,
  refunded               TEXT NOT NULL,
  authorized_block       INTEGER NOT NULL,
  authorized_at          INTEGER NOT NULL,
  updated_block          INTEGER NOT NULL
);
CREATE INDEX chain_payments_by_status ON chain_payments (status, payment_id);
CREATE INDEX chain_payments_by_update ON chain_payments (updated_block);

-- One row per movement of money: a log makes zero or more (legs). Amounts are decimal strings; deltas signed.
CREATE TABLE ledger_entries (
  block_number     INTEGER NOT NULL,
  log_index        INTEGER NOT NULL,
  leg              INTEGER NOT NULL,
  block_time       INTEGER NOT NULL,
  tx_hash          TEXT NOT NULL,
  kind             TEXT NOT NULL,
  payment_id       TEXT,
  token            TEXT NOT NULL,
  merchant         TEXT,
  buyer            TEXT,
  account          TEXT,
  amount           TEXT NOT NULL,
  capturable_delta TEXT NOT NULL,
  held_delta       TEXT NOT NULL,
  balance_delta    TEXT NOT NULL,
  PRIMARY KEY (block_number, log_index, leg)
) WITHOUT ROWID;
CREATE INDEX ledger_entries_by_merchant ON ledger_entries (merchant, block_number, log_index, leg);
CREATE INDEX ledger_entries_by_buyer ON ledger_entries (buyer, block_number, log_index, leg);
CREATE INDEX ledger_entries_by_token ON ledger_entries (token, block_number, log_index, leg);
CREATE INDEX ledger_entries_by_kind ON ledger_entries (kind, block_number, log_index, leg);
CREATE INDEX ledger_entries_by_time ON ledger_entries (block_time, block_number);

-- Kept up to date as entries are written (never scanned): balances per account, what is owed per token, and
-- daily buckets per token for the console's charts.
CREATE TABLE ledger_balances (
  token   TEXT NOT NULL,
  account TEXT NOT NULL,
  balance TEXT NOT NULL,
  PRIMARY KEY (token, account)
) WITHOUT ROWID;
CREATE TABLE ledger_totals (
  token      TEXT PRIMARY KEY,
  capturable TEXT NOT NULL,
  held       TEXT NOT NULL,
  balances   TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE ledger_daily (
  token      TEXT NOT NULL,
  day        TEXT NOT NULL,
  authorized TEXT NOT NULL,
  captured   TEXT NOT NULL,
  released   TEXT NOT NULL,
  refunded   TEXT NOT NULL,
  fees       TEXT NOT NULL,
  payments   INTEGER NOT NULL,
  PRIMARY KEY (token, day)
) WITHOUT ROWID;
-- Projection state: the last projected log (cursor_block, cursor_log), the treasury; merchants' partners.
CREATE TABLE ledger_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE ledger_merchants (
  merchant TEXT PRIMARY KEY,
  partner  TEXT
);

-- The auditor's payment list: keyset on payment_id under each filter; search by order reference.
CREATE INDEX payment_intents_by_merchant_payment ON payment_intents (merchant_id, payment_id);
CREATE INDEX payment_intents_by_buyer_payment ON payment_intents (buyer, payment_id);
CREATE INDEX payment_intents_by_token_payment ON payment_intents (token, payment_id);
CREATE INDEX payment_intents_by_status_payment ON payment_intents (status, payment_id);
CREATE INDEX payment_intents_by_merchant_status_payment ON payment_intents (merchant_id, status, payment_id);
CREATE INDEX payment_intents_by_order_ref ON payment_intents (order_ref, payment_id);
-- Statuses that are rare slices of a common chain status get their own partial index, so their pages do not walk
-- every payment of that chain status: captured with nothing held (requires_capture), never authorized with a failure.
CREATE INDEX payment_intents_captured_unheld ON payment_intents (payment_id) WHERE status = '2' AND amount_held = '0';
CREATE INDEX payment_intents_failed ON payment_intents (payment_id) WHERE status = '0' AND failure_code IS NOT NULL;
-- The escrow's refundedAfterRelease, so the relayer's record gives the gross ever released (released + this), as
-- the auditor's AuditPayment reports it.
ALTER TABLE payment_intents ADD COLUMN amount_refunded_after_release TEXT NOT NULL DEFAULT '0';
-- Reconciliation runs from the console: the chain rebuilt by the audit library against the relayer's records.
-- At most one runs at a time (the partial unique index); differences are stored up to a cap, with their total.
CREATE TABLE reconciliations (
  id                TEXT PRIMARY KEY,
  status            TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  requested_by      TEXT NOT NULL,
  head_block        INTEGER,
  chain_payments    INTEGER,
  relayer_records   INTEGER,
  compared          INTEGER,
  differences_total INTEGER,
  differences       TEXT,
  violations        TEXT,
  error             TEXT,
  started_at        INTEGER NOT NULL,
  finished_at       INTEGER
);
CREATE UNIQUE INDEX reconciliations_one_running ON reconciliations (status) WHERE status = 'running';
CREATE INDEX reconciliations_by_start ON reconciliations (started_at DESC, id DESC);
-- Search by transaction hash: the hash's transaction, then its operations.
CREATE INDEX operations_by_tx ON operations (tx_id);
`,
  },
  {
    version: 7,
    name: "receivables",
    sql: `
-- What an account may use: escrow payments, receivables (supply-chain finance), or both. Suppliers, debtors and
-- financiers are merchant-like accounts (one table, one kind of API key); only escrow merchants take payments.
ALTER TABLE merchants ADD COLUMN capabilities TEXT NOT NULL DEFAULT '["payments"]';

-- Receivables mirrored from the ReceivableRegistry (the chain holds the truth; rows are refreshed from it each time
-- an action of ours confirms). token_id is the ERC-721 id as a decimal string; parts point at parent and root.
CREATE TABLE receivables (
  id              TEXT PRIMARY KEY,
  token_id        TEXT NOT NULL UNIQUE,
  parent_id       TEXT REFERENCES receivables (id),
  root_id         TEXT NOT NULL,
  issuer          TEXT NOT NULL,
  debtor          TEXT NOT NULL,
  token           TEXT NOT NULL,
  holder          TEXT NOT NULL,
  face_value      TEXT NOT NULL,
  issued_at       INTEGER NOT NULL DEFAULT 0,
  due_at          INTEGER NOT NULL,
  accept_by       INTEGER NOT NULL,
  document_hash   TEXT NOT NULL,
  invoice_ref     TEXT,
  chain_state     INTEGER NOT NULL,
  financed        INTEGER NOT NULL DEFAULT 0,
  principal_paid  TEXT NOT NULL DEFAULT '0',
  late_fee_due    TEXT NOT NULL DEFAULT '0',
  failure_code    TEXT,
  failure_message TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX receivables_by_root ON receivables (root_id, created_at, id);
CREATE INDEX receivables_by_issuer ON receivables (issuer, created_at DESC, id DESC);
CREATE INDEX receivables_by_debtor ON receivables (debtor, created_at DESC, id DESC);
CREATE INDEX receivables_by_holder ON receivables (holder, created_at DESC, id DESC);

-- Every account that ever held a receivable, in order: the lineage's holders, and who may see it.
CREATE TABLE receivable_holders (
  receivable_id    TEXT NOT NULL REFERENCES receivables (id),
  address          TEXT NOT NULL,
  since            INTEGER NOT NULL,
  transaction_hash TEXT,
  PRIMARY KEY (receivable_id, address)
);
CREATE INDEX receivable_holders_by_address ON receivable_holders (address, receivable_id);

-- Financiers' signed offers; accepted by the holder's signature (then an outbox operation carries both).
CREATE TABLE financing_offers (
  id               TEXT PRIMARY KEY,
  receivable_id    TEXT NOT NULL REFERENCES receivables (id),
  financier        TEXT NOT NULL,
  account_id       TEXT NOT NULL REFERENCES merchants (id),
  annual_rate_bps  INTEGER NOT NULL,
  max_price        TEXT NOT NULL,
  expiry           INTEGER NOT NULL,
  nonce            TEXT NOT NULL,
  signature        TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('open', 'processing', 'accepted', 'failed')),
  price            TEXT,
  fee              TEXT,
  days_to_maturity INTEGER,
  transaction_hash TEXT,
  failure_code     TEXT,
  failure_message  TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  UNIQUE (financier, nonce)
);
CREATE INDEX financing_offers_by_receivable ON financing_offers (receivable_id, created_at DESC, id DESC);
CREATE INDEX financing_offers_by_account ON financing_offers (account_id, created_at DESC, id DESC);

-- Each action a party asked for, written with its outbox operation in one transaction; settled by the confirmer.
CREATE TABLE receivable_actions (
  id               TEXT PRIMARY KEY,
  receivable_id    TEXT NOT NULL REFERENCES receivables (id),
  offer_id         TEXT REFERENCES financing_offers (id),
  action           TEXT NOT NULL,
  operation_id     INTEGER NOT NULL UNIQUE REFERENCES operations (id),
  requested_by     TEXT NOT NULL REFERENCES merchants (id),
  status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  details          TEXT NOT NULL DEFAULT '{}',
  transaction_hash TEXT,
  failure_code     TEXT,
  failure_message  TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX receivable_actions_by_receivable ON receivable_actions (receivable_id, created_at, id);
CREATE INDEX receivable_actions_pending ON receivable_actions (receivable_id) WHERE status = 'pending';
`,
  },
  {
    version: 8,
    name: "registry logs",
    sql: `
-- The indexer follows the ReceivableRegistry as well as the escrow: each log names the contract that emitted it
-- ('escrow' or 'receivables'), so the auditor's ledger projects the escrow's alone (both emit TreasurySet).
-- Every log indexed before this migration is the escrow's.
ALTER TABLE chain_logs ADD COLUMN contract TEXT NOT NULL DEFAULT 'escrow';
`,
  },
  {
    version: 9,
    name: "receivables register",
    sql: `
-- The auditor's receivables register (GET /v1/audit/receivables): every receivable newest first, by chain state,
-- and the open ones by due date (overdue = Accepted or Overdue with dueAt + the registry's grace period passed).
-- States 2 and 6 are ReceivableState.Accepted and ReceivableState.Overdue.
CREATE INDEX receivables_by_created ON receivables (created_at DESC, id DESC);
CREATE INDEX receivables_by_state ON receivables (chain_state, created_at DESC, id DESC);
CREATE INDEX receivables_open_by_due ON receivables (due_at, id) WHERE chain_state IN (2, 6);
`,
  },
  {
    version: 10,
    name: "cluster",
    sql: `
-- Several relayer instances may share one (PostgreSQL) database. A lease says which instance drives a signer key,
-- or follows the chain, at a time. token is the fencing token: it grows each time the lease changes hands, and a
-- holder checks it in the same transaction as every write it makes for the lease. Times are the database's clock.
CREATE TABLE leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  token      INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
-- Several keys may share one lane: key i of n submits the pending operations whose shard % n = i. All operations of
-- one intent share a shard, so they keep their order on one key.
ALTER TABLE operations ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
-- The instance running a reconciliation: another instance starting must not fail a run that is still alive.
ALTER TABLE reconciliations ADD COLUMN instance TEXT;
`,
  },
];
