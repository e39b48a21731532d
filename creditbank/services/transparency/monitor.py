"""The scheduler's self-monitor: every new checkpoint must extend the last one it saw.

Signing already refuses to sign a tree inconsistent with the previous checkpoint; the monitor
checks what is *stored*, as an outside auditor would — the note's signature, its body against the
row, and a consistency proof from the last checkpoint it trusted to the new one, computed afresh
from the stored subtree hashes. A failure means the stored ledger or checkpoints were changed
behind the bank's back; the monitor keeps its last good view and reports again on every run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from creditbank import ledger_store
from creditbank.errors import DATABASE_ERRORS, LedgerIntegrityError
from creditbank.runtime import Bank
from creditbank.services.transparency import checkpoints
from ledger.merkle import verify_consistency
from ledger.note import NoteError, open_note, parse_checkpoint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Seen:
    size: int
    root: bytes


class MonitorFailure(Exception):
    pass


class Monitor:
    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.seen: Seen | None = None

    def check(self) -> bool | None:
        """Check the newest checkpoint: True when it was new and good, None when nothing new; raises on failure."""
        try:
            return self._check()
        except MonitorFailure:
            raise
        except LedgerIntegrityError as exc:
            raise MonitorFailure(str(exc)) from exc
        except DATABASE_ERRORS:
            # A database that cannot answer now is an outage, not damage: the job fails and runs again.
            raise
        except Exception as exc:
            # Stored values no check can run on (a note stored as bytes, say) are damage like any other.
            raise MonitorFailure(f"the newest checkpoint cannot be checked ({exc.__class__.__name__}: {exc})") from exc

    def _check(self) -> bool | None:
        with self.bank.db.reading() as session:
            latest = checkpoints.latest_in(session)
            if latest is None or (self.seen is not None and latest.size == self.seen.size):
                if latest is not None and self.seen is not None and latest.root != self.seen.root:
                    raise MonitorFailure(f"checkpoint {latest.size} changed its root since it was last seen")
                return None
            if self.seen is not None and latest.size < self.seen.size:
                raise MonitorFailure(f"the newest checkpoint ({latest.size}) is older than one already seen")
            try:
                body = parse_checkpoint(open_note(latest.note, [self.bank.log_verifier()]).text)
            except NoteError as exc:
                raise MonitorFailure(f"checkpoint {latest.size} does not open with the log key: {exc}") from exc
            if (body.origin, body.size, body.root) != (self.bank.origin, latest.size, latest.root):
                raise MonitorFailure(f"checkpoint {latest.size}: the signed note and the stored row disagree")
            if self.seen is None:
                # The first view is trusted as far as the stored tree reproduces it.
                if ledger_store.root_at(session, latest.size) != latest.root:
                    raise MonitorFailure(f"the stored tree does not reproduce checkpoint {latest.size}")
            elif self.seen.size > 0:
                proof = ledger_store.consistency_proof(session, self.seen.size, latest.size)
                if not verify_consistency(self.seen.size, latest.size, self.seen.root, latest.root, proof):
                    raise MonitorFailure(f"checkpoint {latest.size} is not consistent with checkpoint {self.seen.size}")
        self.seen = Seen(latest.size, latest.root)
        return True
