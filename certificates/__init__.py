"""Verifiable credentials (Open Badges 3.0 / CLR 2.0), their proofs, status lists and PDFs.

Built on :mod:`ledger`; filled in by the certificates work. Kept as a package now so the
dependency direction api → creditbank → certificates → ledger is fixed from the start.
"""
