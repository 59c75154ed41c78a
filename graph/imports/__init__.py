"""Record import (R-IMP-1), the pure half: reading CSV, XLSX and XML files as numbered rows
(`tables`), mapping their columns to fields (`mapping`) and checking each row (`rows`).

Nothing here touches a session or the clock; `graph/commands/imports.py` is the use case
that looks records up, writes them in batches and reports the result (`result`).

Row numbers are the same in every format: `row` is the 1-based number of the record in the
file, the header row not counted and blank rows (or empty XML records) skipped without a
number, so the same data as CSV, XLSX or XML gives the same problems on the same rows.
"""
