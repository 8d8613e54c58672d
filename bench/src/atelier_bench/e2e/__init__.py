"""`atelier bench e2e`: generations through the edge, beside the ledger's own floor."""
