"""Pure transparency-log library: canonical JSON, RFC 9162 Merkle trees, C2SP signed checkpoints.

Nothing here touches a database or a web framework, so every function can be used by an
independent verifier exactly as the bank uses it.
"""
