-- API token secrets are stored as "sha256:<hex>" (SHA-256 over a label, the token id and the 256-bit secret;
-- see Sources/CryoStore/Users/TokenHash.swift) instead of bcrypt. Tokens issued before keep their bcrypt hash
-- ("$2…") until their first use, which verifies it once and rewrites it in the new form.
COMMENT ON COLUMN api_token.secret_hash IS
    'sha256:<64 hex> of the token secret (TokenHash), or a bcrypt hash ($2...) not yet upgraded';
ALTER TABLE api_token ADD CONSTRAINT api_token_secret_hash_form
    CHECK (secret_hash ~ '^sha256:[0-9a-f]{64}$' OR secret_hash LIKE '$2%');
