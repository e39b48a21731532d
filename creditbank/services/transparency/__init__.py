"""The public log: signing checkpoints, public reads of entries and proofs, the audit, the self-monitor and what they
last found.
"""
