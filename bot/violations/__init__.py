"""The violations ledger (违规记录, #24; §3.6.2, §5.2.3, §6.1.3, §3.2.3): leadership only."""
