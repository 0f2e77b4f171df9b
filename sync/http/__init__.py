"""Provider-neutral HTTP plumbing shared by the QBO and Procore clients.

- `errors`  — the neutral exception tree provider errors derive from (what retry looks at).
- `limits`  — per-(provider, account) request-window + concurrency limiter, process-wide registry, 429 pauses,
  rate-limit header hook.
- `retry`   — the tenacity retry policy (429, 5xx, timeouts, connection errors only).
- `base`    — `BaseClient._request()`: the one place where limiter, retry, auth header, refresh-once-on-401
  and logging happen.
"""
