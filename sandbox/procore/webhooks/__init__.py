"""Procore webhooks: hooks and triggers (the API), events (what changed) and delivery (POSTs with retries)."""
