"""baoming (报名): the route map. Each route parses the request, calls one service, shapes the reply."""

from typing import TYPE_CHECKING

from chalice.app import Chalice, Rate, Request

from chalicelib import logs
from chalicelib.web import auth, http
from chalicelib.web.errors import verdict_status
from chalicelib.web.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.schemas import awards as award_schemas
    from chalicelib.schemas import items as item_replies
    from chalicelib.schemas import photos as photo_replies
    from chalicelib.schemas import replies
    from chalicelib.services import (
        attendees,
        audit,
        certificates,
        checkins,
        events,
        gate,
        imports,
        invitations,
        invites,
        item_exports,
        item_photos,
        messages,
        phone_codes,
        privacy,
        programme,
        recovery,
        registrations,
        retention,
        staff,
        tickets,
    )
    from chalicelib.services import items as collector_items
    from chalicelib.web import caller, item_pages, openapi, pages
else:
    # Loaded on first use: a cold start (and the authorizer) doesn't pay for what it doesn't call.
    replies = lazy_module("chalicelib.schemas.replies")
    attendees = lazy_module("chalicelib.services.attendees")
    audit = lazy_module("chalicelib.services.audit")
    checkins = lazy_module("chalicelib.services.checkins")
    events = lazy_module("chalicelib.services.events")
    gate = lazy_module("chalicelib.services.gate")
    imports = lazy_module("chalicelib.services.imports")
    invitations = lazy_module("chalicelib.services.invitations")
    invites = lazy_module("chalicelib.services.invites")
    privacy = lazy_module("chalicelib.services.privacy")
    programme = lazy_module("chalicelib.services.programme")
    award_schemas = lazy_module("chalicelib.schemas.awards")
    registrations = lazy_module("chalicelib.services.registrations")
    retention = lazy_module("chalicelib.services.retention")
    staff = lazy_module("chalicelib.services.staff")
    tickets = lazy_module("chalicelib.services.tickets")
    messages = lazy_module("chalicelib.services.messages")
    phone_codes = lazy_module("chalicelib.services.phone_codes")
    recovery = lazy_module("chalicelib.services.recovery")
    caller = lazy_module("chalicelib.web.caller")
    openapi = lazy_module("chalicelib.web.openapi")
    pages = lazy_module("chalicelib.web.pages")
    item_replies = lazy_module("chalicelib.schemas.items")
    certificates = lazy_module("chalicelib.services.certificates")
    item_exports = lazy_module("chalicelib.services.item_exports")
    collector_items = lazy_module("chalicelib.services.items")
    item_pages = lazy_module("chalicelib.web.item_pages")
    item_photos = lazy_module("chalicelib.services.item_photos")
    photo_replies = lazy_module("chalicelib.schemas.photos")

logs.install_redaction()
app = Chalice(app_name="baoming")
# The table's stream, named in infra/resources.json (this placeholder is replaced there).
MESSAGES_STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/baoming/stream/placeholder"
app.api.binary_types = http.BINARY_TYPES


@app.middleware("http")
def errors_in_contract_shape(event, get_response):
    response = http.in_contract_shape(get_response(event))
    return http.without_body(response) if _request().method == "HEAD" else response


def route(path, **options):
    """`app.route` for a view whose domain errors become the SPEC's error JSON. Every GET also
    answers HEAD (the same status and headers, no body), as HTTP clients expect."""
    methods = options.pop("methods", ["GET"])
    if "GET" in methods:
        methods = [*methods, "HEAD"]

    def register(view):
        return app.route(path, methods=methods, **options)(http.domain_errors_as_json(view))

    return register


# Cached by API Gateway for 60 s: a revoked gate link stops working within a minute deployed
# (at once locally, where every request is authorized afresh).
@app.authorizer(ttl_seconds=60)
def staff_or_admin(auth_request):
    return auth.authorize(auth_request.token)


def _request() -> Request:
    request = app.current_request
    assert request is not None  # set by Chalice for every route call
    return request


def _body():
    return http.read_json(_request().raw_body)


def _optional_body():
    """The JSON body, or {} when there is none (a JSON `null` is a body, and refused)."""
    return _body() if _request().raw_body else {}


def _query():
    return _request().query_params or {}


def _idempotency_key():
    return _request().headers.get("idempotency-key")


def _caller():
    return caller.caller_of(_request().context)


# Retention follows the event: expiry re-stamps queued by edits, worked through page by page.
@app.schedule(Rate(1, unit=Rate.MINUTES))
def restamp_retention(event):
    retention.run_pending(seconds=20)  # within the function's 30 s; the rest waits for the next minute


@route("/events", methods=["POST"], authorizer=staff_or_admin)
def create_event():
    return http.reply(replies.EVENT, events.create_event(_body(), _caller()), 201)


@route("/events", methods=["GET"], authorizer=staff_or_admin)
def list_events():
    return http.reply(replies.EVENT_LIST, events.list_events(_query()))


@route("/events/{event_id}", methods=["GET"])
def get_event(event_id):
    return http.reply(replies.EVENT, events.get_event(event_id))


@route("/events/{event_id}", methods=["PATCH"], authorizer=staff_or_admin)
def update_event(event_id):
    return http.reply(replies.EVENT, events.update_event(event_id, _body(), _caller()))


@route("/events/{event_id}/stats", methods=["GET"], authorizer=staff_or_admin)
def event_stats(event_id):
    return http.reply(replies.STATS, checkins.stats(event_id, _query(), _caller()), headers=http.PRIVATE)


@route("/events/{event_id}/staff-tokens", methods=["POST"], authorizer=staff_or_admin)
def create_staff_token(event_id):
    issued = staff.create_staff_token(event_id, _optional_body(), _caller())
    return http.reply(replies.STAFF_TOKEN, issued, 201, headers=http.PRIVATE)


@route("/events/{event_id}/staff-tokens", methods=["GET"], authorizer=staff_or_admin)
def list_staff_tokens(event_id):
    return http.reply(replies.STAFF_TOKEN_LIST, {"items": staff.list_staff_tokens(event_id)}, headers=http.PRIVATE)


@route("/events/{event_id}/staff-tokens/{token_id}", methods=["DELETE"], authorizer=staff_or_admin)
def revoke_staff_token(event_id, token_id):
    staff.revoke_staff_token(event_id, token_id, _caller())
    return http.no_content()


@route("/events/{event_id}/checkins", methods=["POST"], authorizer=staff_or_admin)
def check_in(event_id):
    verdict = checkins.check_in(event_id, _body(), _idempotency_key(), _caller())
    return http.reply(replies.CHECKIN_RESULT, verdict, verdict_status(verdict.result))


@route("/events/{event_id}/registrations", methods=["GET"], authorizer=staff_or_admin)
def list_registrations(event_id):
    found = attendees.list_registrations(event_id, _query())
    schema = replies.REGISTRATION_LIST if _caller().is_admin else replies.REGISTRATION_GATE_LIST
    return http.reply(schema, found, headers=http.PRIVATE)


@route("/events/{event_id}/attendees.csv", methods=["GET"], authorizer=staff_or_admin)
def attendees_csv(event_id):
    return http.file_response(attendees.export(event_id, "csv", _query(), _caller()))


@route("/events/{event_id}/attendees.xlsx", methods=["GET"], authorizer=staff_or_admin)
def attendees_xlsx(event_id):
    return http.file_response(attendees.export(event_id, "xlsx", _query(), _caller()))


@route("/events/{event_id}/registrations/{registration_id}", methods=["DELETE"], authorizer=staff_or_admin)
def erase_registration(event_id, registration_id):
    privacy.erase_registration(event_id, registration_id, _caller())
    return http.no_content()


@route("/events/{event_id}/registrations/{registration_id}/cancel", methods=["POST"], authorizer=staff_or_admin)
def cancel_registration(event_id, registration_id):
    cancelled = tickets.cancel_registration(event_id, registration_id, _caller())
    return http.reply(replies.CANCEL_RESULT, cancelled, headers=http.PRIVATE)


@route("/events/{event_id}/audit", methods=["GET"], authorizer=staff_or_admin)
def audit_log(event_id):
    return http.reply(replies.AUDIT_LIST, audit.entries(event_id, _query()), headers=http.PRIVATE)


@route("/events/{event_id}/registrations", methods=["POST"])
def register(event_id):
    ticket = registrations.register(event_id, _body(), _idempotency_key())
    return http.reply(replies.REGISTRATION_CREATED, ticket, 201)


@route("/tickets/{ticket_token}", methods=["GET"])
def get_ticket(ticket_token):
    return http.reply(replies.TICKET, tickets.get_ticket(ticket_token), headers=http.PRIVATE)


@route("/tickets/{ticket_token}/qr.png", methods=["GET"])
def ticket_qr_png(ticket_token):
    return http.content_response(tickets.ticket_qr(ticket_token, "png"), "image/png", http.IMMUTABLE)


@route("/tickets/{ticket_token}/qr.svg", methods=["GET"])
def ticket_qr_svg(ticket_token):
    svg = tickets.ticket_qr(ticket_token, "svg")
    return http.content_response(svg, "image/svg+xml; charset=utf-8", http.IMMUTABLE)


@route("/tickets/{ticket_token}/cancel", methods=["POST"])
def cancel_ticket(ticket_token):
    return http.reply(replies.CANCEL_RESULT, tickets.cancel_ticket(ticket_token), headers=http.PRIVATE)


@route("/openapi.json", methods=["GET"])
def openapi_document():
    return http.json_response(openapi.document())


# --- the gate, offline (SPEC §5): gate data for scanners, the scanner's service worker ---------


@route("/events/{event_id}/checkin-data", methods=["GET"], authorizer=staff_or_admin)
def checkin_data(event_id):
    return http.reply(replies.GATE_DATA, gate.gate_data(event_id, _query(), _caller()), headers=http.PRIVATE)


# --- messages (SMS, SPEC §7): the queue's sender, recovery, verification codes -------------------


# Deployed: the table's stream (new queued messages, filtered in infra/) sends at once ...
@app.on_dynamodb_record(stream_arn=MESSAGES_STREAM_ARN, batch_size=25, starting_position="LATEST")
def send_messages(event):
    messages.send_stream_records([record.new_image for record in event])


# Deployed, item records deleted by retention's TTL (or withdrawn, or erased) take their photos along
# (SPEC §8); the stream's REMOVE records of ITEM# keys only (filtered in infra/).
@app.on_dynamodb_record(stream_arn=MESSAGES_STREAM_ARN, batch_size=100, starting_position="LATEST")
def forget_item_photos(event):
    item_photos.forget_removed([record.keys for record in event])


# ... and every minute what is due again (retries with backoff, anything the stream missed).
@app.schedule(Rate(1, unit=Rate.MINUTES))
def retry_messages(event):
    messages.send_for(seconds=45)  # within the function's timeout; the rest waits for the next minute


def _client_ip():
    """API Gateway's `requestContext.identity.sourceIp` (locally the TCP peer): never a header."""
    return ((_request().context or {}).get("identity") or {}).get("sourceIp")


@route("/events/{event_id}/messages", methods=["GET"], authorizer=staff_or_admin)
def list_messages(event_id):
    return http.reply(replies.MESSAGE_LIST, messages.list_messages(event_id, _query()), headers=http.PRIVATE)


@route("/events/{event_id}/messages/{message_id}/retry", methods=["POST"], authorizer=staff_or_admin)
def retry_message(event_id, message_id):
    return http.reply(replies.MESSAGE, messages.retry(event_id, message_id), headers=http.PRIVATE)


@route("/events/{event_id}/ticket-recovery", methods=["POST"])
def ticket_recovery(event_id):
    return http.reply(replies.ACCEPTED, recovery.request_recovery(event_id, _body(), _client_ip()), 202)


@route("/events/{event_id}/phone-codes", methods=["POST"])
def phone_code(event_id):
    return http.reply(replies.ACCEPTED, phone_codes.request_code(event_id, _body(), _client_ip()), 202)


@route("/dev/outbox", methods=["GET"], authorizer=staff_or_admin)
def dev_outbox():
    return http.reply(replies.OUTBOX, messages.outbox(_query()), headers=http.PRIVATE)


# --- pages -----------------------------------------------------------------------------------


@route("/e/{event_id}", methods=["GET"])
def registration_form_page(event_id):
    return http.html_response(*pages.registration_page(event_id, _query().get("invite")))


@route("/t/{ticket_token}", methods=["GET"])
def ticket_page(ticket_token):
    return http.html_response(*pages.ticket_page(ticket_token), headers=http.PRIVATE)


@route("/scan/{event_id}", methods=["GET"])
def scanner_page(event_id):
    return http.html_response(*pages.scanner_page(event_id))


@route("/admin", methods=["GET"])
def admin_page():
    return http.html_response(*pages.admin_page(), headers=http.PRIVATE)


@route("/admin/events/{event_id}", methods=["GET"])
def admin_event_page(event_id):
    return http.html_response(*pages.admin_event_page(event_id), headers=http.PRIVATE)


@route("/privacy", methods=["GET"])
def privacy_page():
    return http.html_response(*pages.privacy_page())


@route("/static/{name}", methods=["GET"])
def static_asset(name):
    content, content_type = pages.static_asset(name)
    headers = http.static_caching(content, _query().get("v"))
    if name == pages.SCAN_WORKER:  # the gate's offline mode (SPEC §5): it serves the scanner pages
        headers = {**headers, "Service-Worker-Allowed": "../scan/"}
    return http.content_response(content, content_type, headers)


@route("/favicon.ico", methods=["GET"])
def favicon():
    return http.content_response(pages.FAVICON_SVG, "image/svg+xml; charset=utf-8", http.STATIC)


# --- award ceremony: seats, awards and companions; the programme and the stage board (SPEC §9) ---


@route("/events/{event_id}/registrations/{registration_id}", methods=["PATCH"], authorizer=staff_or_admin)
def update_registration(event_id, registration_id):
    updated = programme.update_registration(event_id, registration_id, _body(), _caller())
    return http.reply(replies.REGISTRATION, updated, headers=http.PRIVATE)


@route("/events/{event_id}/programme", methods=["GET"], authorizer=staff_or_admin)
def event_programme(event_id):
    return http.reply(award_schemas.PROGRAMME, programme.programme(event_id, _caller()), headers=http.PRIVATE)


@route("/admin/events/{event_id}/stage", methods=["GET"])
def stage_board_page(event_id):
    return http.html_response(*pages.stage_page(event_id), headers=http.PRIVATE)


# --- collector exchange: items from declaration to the museum (SPEC §8) -----------------------


@route("/tickets/{ticket_token}/items", methods=["PUT"])
def replace_ticket_items(ticket_token):
    declared = collector_items.replace_items(ticket_token, _body())
    return http.reply(item_replies.TICKET_ITEMS, {"items": declared}, headers=http.PRIVATE)


@route("/tickets/{ticket_token}/items/{item_id}/photo-upload", methods=["POST"])
def ticket_item_photo_upload(ticket_token, item_id):
    upload = item_photos.presign_for_ticket(ticket_token, item_id, _body())
    return http.reply(photo_replies.PHOTO_UPLOAD, upload, headers=http.PRIVATE)


@route("/tickets/{ticket_token}/items/{item_id}/photo", methods=["POST"])
def ticket_item_photo_attach(ticket_token, item_id):
    attached = item_photos.attach_for_ticket(ticket_token, item_id, _body())
    return http.reply(item_replies.TICKET_ITEM, attached, headers=http.PRIVATE)


@route("/events/{event_id}/items", methods=["GET"], authorizer=staff_or_admin)
def list_items(event_id):
    found = collector_items.list_items(event_id, _query())
    return http.reply(item_replies.ITEM_LIST, {"items": found}, headers=http.PRIVATE)


@route("/events/{event_id}/items/{item_id}", methods=["GET"], authorizer=staff_or_admin)
def get_item(event_id, item_id):
    return http.reply(item_replies.ITEM, collector_items.get_item(event_id, item_id), headers=http.PRIVATE)


@route("/events/{event_id}/items/{item_id}/transitions", methods=["POST"], authorizer=staff_or_admin)
def item_transition(event_id, item_id):
    moved = collector_items.transition(event_id, item_id, _body(), _caller())
    return http.reply(item_replies.ITEM, moved, headers=http.PRIVATE)


@route("/events/{event_id}/items/{item_id}/tag.png", methods=["GET"], authorizer=staff_or_admin)
def item_tag_png(event_id, item_id):
    return http.content_response(collector_items.tag_png(event_id, item_id), "image/png", http.PRIVATE)


@route("/events/{event_id}/items/{item_id}/photo-upload", methods=["POST"], authorizer=staff_or_admin)
def item_photo_upload(event_id, item_id):
    upload = item_photos.presign_upload(event_id, item_id, _body())
    return http.reply(photo_replies.PHOTO_UPLOAD, upload, headers=http.PRIVATE)


@route("/events/{event_id}/items/{item_id}/photo", methods=["POST"], authorizer=staff_or_admin)
def item_photo_attach(event_id, item_id):
    attached = item_photos.attach(event_id, item_id, _body(), _caller())
    return http.reply(item_replies.ITEM, attached, headers=http.PRIVATE)


@route("/events/{event_id}/desk/lookup", methods=["POST"], authorizer=staff_or_admin)
def desk_lookup(event_id):
    return http.reply(item_replies.DESK_VIEW, collector_items.lookup(event_id, _body()), headers=http.PRIVATE)


@route("/events/{event_id}/items.csv", methods=["GET"], authorizer=staff_or_admin)
def items_csv(event_id):
    return http.file_response(item_exports.export(event_id, "csv", _query(), _caller()))


@route("/events/{event_id}/items.xlsx", methods=["GET"], authorizer=staff_or_admin)
def items_xlsx(event_id):
    return http.file_response(item_exports.export(event_id, "xlsx", _query(), _caller()))


@route(
    "/events/{event_id}/registrations/{registration_id}/donation-certificate.pdf",
    methods=["GET"],
    authorizer=staff_or_admin,
)
def donation_certificate(event_id, registration_id):
    return http.file_response(certificates.donation_certificate(event_id, registration_id))


@route("/desk/{event_id}", methods=["GET"])
def desk_page(event_id):
    return http.html_response(*item_pages.desk_page(event_id))


@route("/i/{item_token}", methods=["GET"])
def item_page(item_token):
    return http.html_response(*item_pages.item_page(item_token), headers=http.PRIVATE)


@route("/admin/events/{event_id}/items", methods=["GET"])
def admin_items_page(event_id):
    return http.html_response(*item_pages.admin_items_page(event_id), headers=http.PRIVATE)


# --- guests known in advance (SPEC §6): invite codes, import, invitations ----------------------


@route("/events/{event_id}/invite-codes", methods=["POST"], authorizer=staff_or_admin)
def create_invite_code(event_id):
    created = invites.create_invite_code(event_id, _body(), _caller())
    return http.reply(replies.INVITE_CODE, created, 201, headers=http.PRIVATE)


@route("/events/{event_id}/invite-codes", methods=["GET"], authorizer=staff_or_admin)
def list_invite_codes(event_id):
    return http.reply(replies.INVITE_CODE_LIST, {"items": invites.list_invite_codes(event_id)}, headers=http.PRIVATE)


@route("/events/{event_id}/invite-codes/{code_id}", methods=["DELETE"], authorizer=staff_or_admin)
def revoke_invite_code(event_id, code_id):
    invites.revoke_invite_code(event_id, code_id, _caller())
    return http.no_content()


@route(
    "/events/{event_id}/registrations/import",
    methods=["POST"],
    authorizer=staff_or_admin,
    content_types=[*http.IMPORT_TYPES],
)
def import_registrations(event_id):
    raw = _request().raw_body or b""
    content = raw if isinstance(raw, bytes) else raw.encode("utf-8")
    result = imports.import_registrations(event_id, content, _query(), _idempotency_key(), _caller())
    return http.reply(replies.IMPORT_RESULT, result, 201, headers=http.PRIVATE)


# Crashed imports (pending for over 2 minutes) are rolled back; see services/imports.py.
@app.schedule(Rate(1, unit=Rate.MINUTES))
def recover_imports(event):
    imports.sweep()


@route("/events/{event_id}/invitations", methods=["GET"], authorizer=staff_or_admin)
def invitation_cards(event_id):
    return http.reply(replies.INVITATION_SHEET, invitations.invitation_sheet(event_id, _query()), headers=http.PRIVATE)


@route("/admin/events/{event_id}/invitations", methods=["GET"])
def invitations_page(event_id):
    return http.html_response(*pages.invitations_page(event_id), headers=http.PRIVATE)
