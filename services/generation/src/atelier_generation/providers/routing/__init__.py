"""The router between the saga and the providers: retries, limits, cool-down and fallbacks."""
