"""The Replicate adapter: predictions over Replicate's HTTP API, webhooks signed the Standard
Webhooks way."""
