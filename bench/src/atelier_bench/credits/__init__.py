"""`atelier bench credits`: freeze→confirm cycles on our ledger and on a naive row-locked baseline."""
