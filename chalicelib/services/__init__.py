"""The service layer: one module per use case. Services validate input, apply the domain's
rules, call storage, and return domain values or raise domain errors; they know no HTTP."""

from chalicelib.domain import tokens
from chalicelib.storage import secrets

# Token signing is pure domain code; its key comes from the environment or SSM, read on first use.
tokens.use_key_source(secrets.token_signing_keys)
