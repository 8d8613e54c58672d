"""The fal adapter: requests through fal's queue API, webhooks signed with Ed25519."""
