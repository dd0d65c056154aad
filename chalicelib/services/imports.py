"""Guest-list import (SPEC §6): every row checked first, then all rows written or none.

All-or-nothing for up to 5,000 rows, when one DynamoDB transaction holds 100 items:
1. Read and check the whole file (encoding, headers, every row, duplicates in the file and
   against live registrations). Any error: 422 with every bad row, nothing written.
2. Reserve: ONE transaction puts the import record (status `pending`, the seats and per-role
   counts it takes) and adds all the file's seats to the event's counters, on the condition that
   the capacity is unchanged and the whole file fits. Not enough seats: 409 event_full, nothing
   written. From here on no other registration can take these seats.
3. Write the rows in transactions of ≤ 100 items (registration, phone guard, search entries),
   each item tagged with the import id and each transaction also checking that the record is
   still `pending`.
4. Complete: the record becomes `done` (with the rows' registration ids, for Idempotency-Key
   replays). Only then does the reply say 201.
A failure in 3 or 4 (a phone registered meanwhile, an error, a timeout) rolls back: the record
moves to `rolling_back` (so no late batch of it can write any more), every tagged item is
deleted, and one transaction marks it `rolled_back` and gives the seats and counts back. A crash
(the function killed mid-import) leaves the record `pending`: the next import of the event, and
a scheduled sweep every minute, roll back any import pending for more than 2 minutes (the
function's timeout is 30 s). Until then its seats stay taken and its rows exist without anyone
holding their tickets; the organiser's retry (same Idempotency-Key) gets 409 idempotency in
progress for at most 30 s, then runs the import again on the freed seats.
"""

from __future__ import annotations

import hashlib
import logging
import secrets as random_source
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chalicelib.domain import audit, clock, tokens
from chalicelib.domain.access import ADMIN_CALLER, Caller
from chalicelib.domain.awards import SEAT_MAX_LENGTH, award_assignment_errors, award_ids, resolve_award, seat_key
from chalicelib.domain.errors import (
    EventFull,
    ImportAborted,
    ImportRowTaken,
    PayloadTooLarge,
    SeatsChanged,
    ServiceUnavailable,
    ValidationFailed,
)
from chalicelib.domain.events import Event, role_label
from chalicelib.domain.imports import (
    COLUMN_LABELS_ZH,
    LAWFUL_BASIS_IMPORT,
    MAX_FILE_BYTES,
    MAX_ROWS,
    REQUIRED_COLUMNS,
    ROLLING_BACK,
    STALE_AFTER_SECONDS,
    ImportedRow,
    ImportRecord,
    ImportResult,
    SkippedRow,
    column_of,
    role_code,
)
from chalicelib.domain.messages import Message
from chalicelib.domain.registrations import CONFIRMED, IMPORT, Registration, registration_field_errors
from chalicelib.domain.search import name_key, name_terms, phone_tail_term
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import audit as audit_log
from chalicelib.services import enqueue, events, idempotency, tickets
from chalicelib.services.retry import MAX_ATTEMPTS
from chalicelib.storage import imports as import_store

logger = logging.getLogger(__name__)

ALREADY_REGISTERED, DUPLICATE_IN_FILE = "already_registered", "duplicate_in_file"


def import_registrations(
    event_id: str, content: bytes, query: Mapping[str, str], idempotency_key: str | None, caller: Caller | None = None
) -> ImportResult:
    params = load(requests.IMPORT_QUERY, dict(query))
    skip = params.get("skip_duplicates", False)
    if len(content) > MAX_FILE_BYTES:
        raise PayloadTooLarge(message="文件过大（上限 4 MB）")
    if idempotency_key is None:
        return _import(event_id, content, skip, caller)
    fingerprint = {"file_sha256": hashlib.sha256(content).hexdigest(), "skip_duplicates": skip}
    return idempotency.run_once(
        f"import:{event_id}",
        idempotency_key,
        fingerprint,
        lambda _record: _import(event_id, content, skip, caller),
        lambda result: {"event_id": event_id, "import_id": result.import_id},
        _replayed,
    )


def _replayed(outcome: Mapping[str, str]) -> ImportResult:
    record = import_store.get(outcome["event_id"], outcome["import_id"])
    if record is None:
        raise ServiceUnavailable()
    return _result(record.event_id, record.import_id, record.rows, record.skipped)


def _result(event_id: str, import_id: str, rows: list[list[Any]], skipped: list[list[Any]]) -> ImportResult:
    return ImportResult(
        created=len(rows),
        skipped=[SkippedRow(int(row), str(reason)) for row, reason in skipped],
        registrations=[
            ImportedRow(int(row), str(rid), tickets.ticket_url(tokens.mint_ticket(event_id, str(rid))))
            for row, rid in rows
        ],
        import_id=import_id,
    )


# --- 1. read and check ---------------------------------------------------------------------


def _sheet(content: bytes) -> Any:
    from chalicelib.formats import guest_lists

    if not content:
        raise ValidationFailed(fields={"file": ["请上传名单文件（CSV 或 Excel .xlsx）"]})
    try:
        return guest_lists.read_sheet(content, MAX_ROWS)
    except guest_lists.TooManyRows as error:
        raise ValidationFailed(fields={"file": [f"一次最多导入 {MAX_ROWS} 行"]}) from error
    except guest_lists.UnreadableFile as error:
        raise ValidationFailed(fields={"file": [str(error)]}) from error


def _columns(header: list[str]) -> list[str | None]:
    columns = [column_of(text) for text in header]
    missing = [COLUMN_LABELS_ZH[c] for c in REQUIRED_COLUMNS if c not in columns]
    twice = sorted({COLUMN_LABELS_ZH[c] for c in columns if c and columns.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"缺少列：{'、'.join(missing)}（表头可用中文或英文，如 姓名/name、手机号/phone、身份/role）")
    if twice:
        problems.append(f"列重复：{'、'.join(twice)}")
    if problems:
        raise ValidationFailed(fields={"file": problems})
    return columns


def _row_body(event: Event, columns: list[str | None], cells: list[str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The registration body a row stands for, and the errors found before the schema."""
    body: dict[str, Any] = {"consent": True}
    errors: dict[str, list[str]] = {}
    for column, cell in zip(columns, cells, strict=False):
        if column is None or cell == "":
            continue
        body[column] = cell
    if "role" in body:
        role = role_code(event, body["role"])
        if role is None:
            labels = "、".join(f"{role_label(r)}（{r}）" for r in event.roles)
            errors["role"] = [f"没有这个身份：{body['role']}；可选：{labels}"]
            del body["role"]
        else:
            body["role"] = role
    if "party_size" in body:
        text = body["party_size"]
        if text.isascii() and text.isdigit():
            body["party_size"] = int(text)
        else:
            errors["party_size"] = ["人数须为整数"]
            del body["party_size"]
    # 座位/seat: unique among the event's live registrations (SPEC §9): twice in the file is a row
    # error here; held by someone already, the row's seat lock fails in its batch (all rolled back).
    seat = (body.pop("seat", None) or "").strip()
    if len(seat) > SEAT_MAX_LENGTH:
        errors["seat"] = [f"座位不能超过 {SEAT_MAX_LENGTH} 个字符"]
    elif seat:
        body["seat"] = seat
    # 奖项/award_id: an award's id or name; ignored when the event has no awards.
    award = body.pop("award_id", None)
    if award_ids(event):
        award_id = resolve_award(event, award)
        if award and award_id is None:
            errors["award_id"] = [f"本活动没有这个奖项：{award}；可选：{'、'.join(award_ids(event))}"]
        elif award_id:
            body["award_id"] = award_id
    return body, errors


def _checked_rows(
    event: Event, sheet: Any, skip: bool
) -> tuple[list[tuple[int, dict[str, Any]]], list[SkippedRow], list[dict[str, Any]]]:
    """Rows that pass every check, rows skipped as duplicates, and the bad rows with their errors."""
    columns = _columns(sheet.header)
    schema = requests.REGISTRATION_BY_KIND[event.kind]
    good: list[tuple[int, dict[str, Any]]] = []
    bad: list[dict[str, Any]] = []
    skipped: list[SkippedRow] = []
    first_row_of_phone: dict[str, int] = {}
    first_row_of_seat: dict[str, int] = {}
    for number, cells in sheet.rows:
        body, errors = _row_body(event, columns, cells)
        seat = body.pop("seat", None)  # not a field of the form: checked here, written by the import
        data: dict[str, Any] = {}
        try:
            data = load(schema, body)
        except ValidationFailed as failed:
            for field, messages in (failed.fields or {}).items():
                if field not in errors:
                    errors[field] = messages
        if data:
            rule_errors = registration_field_errors(event, data)
            rule_errors.update(award_assignment_errors(event, data.get("role"), data.get("award_id")))
            for field, messages in rule_errors.items():
                errors.setdefault(field, messages)
        if seat and not errors:
            holder = first_row_of_seat.setdefault(seat_key(seat), number)
            if holder != number:
                errors["seat"] = [f"与第 {holder} 行的座位重复"]
        if errors:
            bad.append({"row": number, "fields": errors})
            continue
        if seat:
            data["seat"] = seat
        earlier = first_row_of_phone.get(data["phone"])
        if earlier is not None:
            if skip:
                skipped.append(SkippedRow(number, DUPLICATE_IN_FILE))
            else:
                bad.append({"row": number, "fields": {"phone": [f"与第 {earlier} 行的手机号重复"]}})
            continue
        first_row_of_phone[data["phone"]] = number
        good.append((number, data))
    return good, skipped, bad


def _refuse_if_bad(bad: list[dict[str, Any]]) -> None:
    if bad:
        bad.sort(key=lambda entry: int(entry["row"]))
        raise ValidationFailed(message=f"名单中有 {len(bad)} 行有误，未导入任何记录；请修改后重新上传", rows=bad)


def _guard(event: Event, phone: str) -> str:
    return tokens.phone_guard(event.guard_kid or tokens.keyring().active_id, event.event_id, phone)


def _without_registered(
    event: Event,
    rows: list[tuple[int, dict[str, Any]]],
    skipped: list[SkippedRow],
    skip: bool,
    bad: list[dict[str, Any]],
) -> list[tuple[int, dict[str, Any]]]:
    taken = import_store.taken_guards(event.event_id, [_guard(event, data["phone"]) for _, data in rows])
    if not taken:
        return rows
    fresh = []
    for number, data in rows:
        if _guard(event, data["phone"]) not in taken:
            fresh.append((number, data))
        elif skip:
            skipped.append(SkippedRow(number, ALREADY_REGISTERED))
        else:
            bad.append({"row": number, "fields": {"phone": ["该手机号已报名本活动"]}})
    skipped.sort(key=lambda s: s.row)
    return fresh


# --- 2-4. reserve, write, complete (or roll back) -------------------------------------------


def _registration(event: Event, data: Mapping[str, Any], import_id: str, stamp: str) -> Registration:
    terms = [
        *name_terms(data["name"]),
        phone_tail_term(tokens.phone_tail_tag(event.guard_kid, event.event_id, data["phone"][-4:])),
    ]
    return Registration(
        registration_id=tokens.new_registration_id(),
        event_id=event.event_id,
        status=CONFIRMED,
        name=data["name"],
        phone=data["phone"],
        phone_guard=_guard(event, data["phone"]),
        role=data["role"],
        party_size=data.get("party_size", 1),
        city=data.get("city") or None,
        organization=data.get("organization") or None,
        note=data.get("note") or None,
        registered_at=stamp,
        expires_at=event.retention_expiry(),
        source=IMPORT,
        lawful_basis=LAWFUL_BASIS_IMPORT,
        award_id=data.get("award_id"),
        seat=data.get("seat"),
        import_id=import_id,
        search_terms=terms,
    )


def _reserve(event: Event, record: ImportRecord) -> None:
    for _ in range(MAX_ATTEMPTS):
        if not event.fits_privileged(record.seats):
            raise EventFull(
                message=f"名额不足：名单共 {record.seats} 个座位，本活动剩余 {event.seats_remaining} 个；未导入任何记录"
            )
        try:
            import_store.reserve(record, event.capacity, event.retention_expiry())
            return
        except SeatsChanged as changed:
            event = changed.event
    raise ServiceUnavailable()


def _import(event_id: str, content: bytes, skip: bool, caller: Caller | None) -> ImportResult:
    event = events.require_event(event_id, consistent=True)
    recover_unfinished(event_id)
    sheet = _sheet(content)
    rows, skipped, bad = _checked_rows(event, sheet, skip)
    rows = _without_registered(event, rows, skipped, skip, bad)
    _refuse_if_bad(bad)

    import_id = "im-" + random_source.token_hex(8)
    stamp = clock.now_iso()
    registrations = [(number, _registration(event, data, import_id, stamp)) for number, data in rows]
    # Ids sort by time, and many are made in the same millisecond: hand them out in file order, so
    # the list, the exports and the invitations keep the organiser's order.
    ordered_ids = sorted(registration.registration_id for _, registration in registrations)
    registrations = [
        (number, replace(registration, registration_id=rid))
        for (number, registration), rid in zip(registrations, ordered_ids, strict=True)
    ]
    role_counts: dict[str, list[int]] = {}
    for _, registration in registrations:
        counts = role_counts.setdefault(registration.role or "", [0, 0])
        counts[0] += 1
        counts[1] += registration.party_size
    record = ImportRecord(
        import_id=import_id,
        event_id=event_id,
        status="pending",
        started_at=stamp,
        started_epoch=int(time.time()),
        seats=sum(r.party_size for _, r in registrations),
        count=len(registrations),
        role_counts=role_counts,
    )
    _reserve(event, record)
    row_of = {registration.registration_id: number for number, registration in registrations}
    try:
        texts = {r.registration_id: enqueue.ticket_message(event, r) for _, r in registrations}  # SPEC §7
        _write_rows(event_id, import_id, [(r, name_key(r.name or "")) for _, r in registrations], texts)
        rows_done: list[list[object]] = [[number, r.registration_id] for number, r in registrations]
        skipped_done: list[list[object]] = [[s.row, s.reason] for s in skipped]
        import_store.complete(record, rows_done, skipped_done)
    except ImportRowTaken as taken:
        rollback(event_id, import_id)
        row = row_of.get(taken.registration_id, 0)
        if taken.field == "seat":
            raise ValidationFailed(
                message="名单中的座位已被本活动的其他报名占用，未导入任何记录",
                rows=[{"row": row, "fields": {"seat": ["该座位已被其他报名占用"]}}],
            ) from taken
        raise ValidationFailed(
            message="导入期间有人用名单中的手机号报名了，未导入任何记录；请重新上传",
            rows=[{"row": row, "fields": {"phone": ["该手机号已报名本活动"]}}],
        ) from taken
    except BaseException:
        logger.warning("import %s of %s failed; rolling it back", import_id, event_id)
        _rollback_quietly(event_id, import_id)
        raise
    audit_log.record(
        event,
        (caller or ADMIN_CALLER).actor,
        audit.REGISTRATIONS_IMPORT,
        import_id,
        f"导入 {len(registrations)} 条，跳过 {len(skipped)} 条（{sheet.encoding}）",
    )
    return _result(event_id, import_id, rows_done, skipped_done)


def _write_rows(
    event_id: str,
    import_id: str,
    registrations: list[tuple[Registration, str]],
    messages: Mapping[str, Message],
) -> None:
    """The batches, WRITERS at a time (each a transaction of its own: their order doesn't matter);
    the first failure stops the rest and is raised once the ones in flight are back."""
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    groups = import_store.batches(registrations)
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        futures = [pool.submit(write_batch, event_id, import_id, group, messages) for group in groups]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
    for future in futures:
        if future.done() and not future.cancelled() and future.exception() is not None:
            raise future.exception()  # type: ignore[misc]


WRITERS = 4  # concurrent batch transactions of one import


# A seam for tests (a crash in the middle of an import): the one call that writes a batch.
write_batch = import_store.write_batch


def _rollback_quietly(event_id: str, import_id: str) -> None:
    try:
        rollback(event_id, import_id)
    except Exception:
        logger.exception("rolling back import %s failed; the sweep will finish it", import_id)


def rollback(event_id: str, import_id: str) -> bool:
    """Undo an unfinished import: stop its batches, delete what it wrote, give the seats back.
    Idempotent; False when there was nothing to undo (done or already rolled back)."""
    record = import_store.begin_rollback(event_id, import_id)
    if record is None:
        return False
    import_store.delete_keys(import_store.tagged_keys(event_id, import_id))
    try:
        import_store.finish_rollback(record)
    except ImportAborted:
        return False
    return True


def recover_unfinished(event_id: str, now: float | None = None) -> int:
    """Roll back this event's imports that crashed (pending for longer than the stale time)."""
    moment = time.time() if now is None else now
    undone = 0
    for record in import_store.unfinished_of_event(event_id):
        if record.status == ROLLING_BACK or moment - record.started_epoch > STALE_AFTER_SECONDS:
            undone += rollback(event_id, record.import_id)
    return undone


def sweep(now: float | None = None) -> int:
    """The scheduled recovery: every crashed import of any event."""
    moment = time.time() if now is None else now
    undone = 0
    for event_id, import_id in import_store.unfinished_started_before(int(moment - STALE_AFTER_SECONDS)):
        undone += rollback(event_id, import_id)
    return undone
