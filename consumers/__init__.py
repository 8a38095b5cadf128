"""The read side: validate records, roll them up into a DuckDB replica, query it."""
