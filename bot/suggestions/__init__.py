"""The anonymous suggestion box (匿名信箱, #24; §2.3.3, §3.5.3, §5.3.3)."""
