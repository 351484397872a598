"""The back office: appeal work lists, the appeal page, customers (C5, C8)."""
