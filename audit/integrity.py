"""Digests, the chain, and checking them: what makes the trail tamper-evident.

Each entry's digest is an HMAC of its content under a key the database does
not hold (AUDIT_KEY, or one derived from SECRET_KEY), so nobody with only
database access can write a valid entry. The sealer (a job, every minute)
puts the entries committed since its last run into a block: seal n holds their
ids, an HMAC of their (id, digest) pairs, and HMAC(n, that, seal n-1). A
changed entry no longer matches its digest; a removed one leaves its seal
pointing at nothing (or a gap in the seals); one inserted afterwards with an
old date sits in the chain after entries it claims to precede.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from audit.models import AuditEntry, AuditSeal

# Concurrent transactions commit in any order, so the chain may hold an entry
# a little older than the one before it; more than this is not concurrency.
MAX_CLOCK_SKEW = datetime.timedelta(minutes=5)
SEAL_BATCH = 1000
# How far behind the newest sealed id the sealer still looks for entries
# whose transaction committed late.
LATE_COMMIT_LOOKBACK = 10_000


def _key() -> bytes:
    secret = settings.AUDIT_KEY or settings.SECRET_KEY
    return hashlib.sha256(b"adhere.audit.v1:" + secret.encode()).digest()


def _hmac(message: str) -> str:
    return hmac.new(_key(), message.encode(), hashlib.sha256).hexdigest()


def canonical(entry: AuditEntry) -> str:
    """The entry's content as one string, the same on every database."""
    created = entry.created_at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return json.dumps(
        [
            str(entry.uid),
            created,
            entry.actor_type,
            entry.actor_id,
            entry.actor_label,
            entry.action,
            entry.entity_type,
            entry.entity_id,
            entry.patient_id,
            entry.payload,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def entry_digest(entry: AuditEntry) -> str:
    return _hmac(canonical(entry))


def block_digest(pairs: list[tuple[int, str]]) -> str:
    """The HMAC of a block of entries: its bounds, then their ids and digests, in order."""
    ids = [entry_id for entry_id, _ in pairs]
    bounds = f"{min(ids)}-{max(ids)}" if ids else "-"
    return _hmac(bounds + ";" + ";".join(f"{entry_id}:{digest}" for entry_id, digest in pairs))


def chain_link(seq: int, digest: str, previous: str) -> str:
    return _hmac(f"{seq}|{digest}|{previous}")


# --- Sealing ---------------------------------------------------------------------------------


def _lock_the_chain() -> None:
    """One sealer at a time. Writers never take this lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('adhere.audit.seal'))")
    # SQLite: the write transaction (BEGIN IMMEDIATE) already serialises sealers.


def seal(*, batch: int = SEAL_BATCH) -> int:
    """Chain every committed entry not yet sealed, in blocks of up to `batch`. Returns how many."""
    sealed = 0
    while True:
        with transaction.atomic():
            _lock_the_chain()
            last = AuditSeal.objects.order_by("-seq").first()
            # Entries after the last sealed one, and any a little older that committed late:
            # an index range on the entries, and the few seals that cover it.
            floor = max(0, (last.last_entry_id if last else 0) - LATE_COMMIT_LOOKBACK)
            already = {
                entry_id
                for ids in AuditSeal.objects.filter(last_entry_id__gt=floor).values_list(
                    "entry_ids", flat=True
                )
                for entry_id in ids
            }
            pairs = [
                (entry_id, digest)
                for entry_id, digest in AuditEntry.objects.filter(pk__gt=floor)
                .order_by("pk")
                .values_list("pk", "digest")
                .iterator()
                if entry_id not in already
            ][:batch]
            if not pairs:
                return sealed
            seq, previous = (last.seq, last.chain) if last else (0, "")
            digest = block_digest(pairs)
            ids = [entry_id for entry_id, _ in pairs]
            AuditSeal.objects.create(
                seq=seq + 1,
                entry_ids=ids,
                first_entry_id=min(ids),
                last_entry_id=max(ids),
                digest=digest,
                chain=chain_link(seq + 1, digest, previous),
            )
            sealed += len(pairs)
        if len(pairs) < batch:
            return sealed


# --- Verifying -------------------------------------------------------------------------------


@dataclass
class Report:
    checked: int = 0
    unsealed: int = 0
    seconds: float = 0.0
    problem: str = ""
    bad_entry_id: int | None = None
    head_seq: int = 0
    head_chain: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def verify(*, chunk: int = 200) -> Report:
    """Check every entry's digest and the whole chain. Stops at the first bad entry."""
    started = time.perf_counter()
    report = Report()
    previous, expected_seq = "", 1
    newest: datetime.datetime | None = None
    sealed_ids: set[int] = set()
    last_seq = 0
    while True:
        seals = list(AuditSeal.objects.filter(seq__gt=last_seq).order_by("seq")[:chunk])
        if not seals:
            break
        entries = AuditEntry.objects.in_bulk([entry_id for link in seals for entry_id in link.entry_ids])
        for link in seals:
            last_seq = link.seq
            first = link.entry_ids[0] if link.entry_ids else None
            if link.seq != expected_seq:
                return _fail(report, started, f"seal {expected_seq} is missing: entries were removed", first)
            expected_seq += 1
            if chain_link(link.seq, link.digest, previous) != link.chain:
                return _fail(report, started, f"the chain breaks at seal {link.seq}", first)
            previous = link.chain
            report.head_seq, report.head_chain = link.seq, link.chain
            pairs = []
            for entry_id in link.entry_ids:
                entry = entries.get(entry_id)
                if entry is None:
                    return _fail(report, started, f"entry {entry_id} was removed", entry_id)
                if problem := _check_entry(entry) or _out_of_order(entry, newest):
                    return _fail(report, started, problem, entry_id)
                newest = max(newest or entry.created_at, entry.created_at)
                pairs.append((entry_id, entry.digest))
                sealed_ids.add(entry_id)
                report.checked += 1
            ids = [entry_id for entry_id, _ in pairs]
            bounds_altered = ids and (link.first_entry_id, link.last_entry_id) != (min(ids), max(ids))
            if bounds_altered or block_digest(pairs) != link.digest:
                return _fail(report, started, f"seal {link.seq} does not match its entries", first)
    # Entries not sealed yet (written since the sealer last ran) must still be genuine,
    # and must not claim to be older than the sealed chain.
    for entry in AuditEntry.objects.order_by("pk").iterator(chunk_size=2000):
        if entry.pk in sealed_ids:
            continue
        if problem := _check_entry(entry) or _out_of_order(entry, newest):
            return _fail(report, started, problem, entry.pk)
        report.checked += 1
        report.unsealed += 1
    report.seconds = time.perf_counter() - started
    return report


def _out_of_order(entry: AuditEntry, newest: datetime.datetime | None) -> str:
    """An entry dated well before entries already in the chain was put there afterwards."""
    if newest is None or entry.created_at >= newest - MAX_CLOCK_SKEW:
        return ""
    return (
        f"entry {entry.pk} was inserted out of order: dated {entry.created_at:%Y-%m-%d %H:%M:%S}, "
        f"after entries up to {newest:%Y-%m-%d %H:%M:%S}"
    )


def _check_entry(entry: AuditEntry) -> str:
    if entry_digest(entry) != entry.digest:
        return f"entry {entry.pk} was altered: its content does not match its digest"
    return ""


def _fail(report: Report, started: float, problem: str, entry_id: int | None) -> Report:
    report.problem, report.bad_entry_id = problem, entry_id
    report.seconds = time.perf_counter() - started
    return report
