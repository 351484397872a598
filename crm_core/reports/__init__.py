"""Appeal search with keyset pages, bulk workflow operations, reports and exports."""
