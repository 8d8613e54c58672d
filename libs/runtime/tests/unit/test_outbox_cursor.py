from __future__ import annotations

from atelier_runtime.relay_source import RelayCursor


def test_cursors_order_by_transaction_before_position() -> None:
    # A later transaction may hold a lower position; it still comes after.
    earlier_tx_higher_position = RelayCursor(tx_id=10, position=7)
    later_tx_lower_position = RelayCursor(tx_id=11, position=3)

    assert earlier_tx_higher_position < later_tx_lower_position
    assert RelayCursor(10, 7) < RelayCursor(10, 8)
