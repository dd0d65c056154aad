"""baoming (报名): the route map. Each route parses the request, calls one service, shapes the reply."""
from chalice import Chalice

from chalicelib import attendees, auth, checkins, events, logs, openapi, pages, privacy, registrations, web
from chalicelib.errors import ApiError

logs.install_redaction()
app = Chalice(app_name="baoming")
app.api.binary_types = web.BINARY_TYPES


@app.middleware("http")
def render_api_errors(event, get_response):
    try:
        return get_response(event)
    except ApiError as error:
        return web.error_response(error)


@app.authorizer()
def staff_or_admin(auth_request):
    return auth.authorize(auth_request.token)


@app.route("/events", methods=["POST"], authorizer=staff_or_admin)
def create_event():
    return web.json_response(events.create_event(web.read_json(app.current_request.raw_body)), 201)


@app.route("/events", methods=["GET"], authorizer=staff_or_admin)
def list_events():
    return web.json_response(events.list_events(app.current_request.query_params or {}))


@app.route("/events/{event_id}", methods=["GET"])
def get_event(event_id):
    return web.json_response(events.get_event(event_id))


@app.route("/events/{event_id}", methods=["PATCH"], authorizer=staff_or_admin)
def update_event(event_id):
    return web.json_response(events.update_event(event_id, web.read_json(app.current_request.raw_body)))


@app.route("/events/{event_id}/stats", methods=["GET"], authorizer=staff_or_admin)
def event_stats(event_id):
    return web.json_response(checkins.stats(event_id), headers=web.PRIVATE)


@app.route("/events/{event_id}/staff-tokens", methods=["POST"], authorizer=staff_or_admin)
def create_staff_token(event_id):
    return web.json_response(auth.create_staff_token(event_id), 201, headers=web.PRIVATE)


@app.route("/events/{event_id}/checkins", methods=["POST"], authorizer=staff_or_admin)
def check_in(event_id):
    request = app.current_request
    status, body = checkins.check_in(
        event_id, web.read_json(request.raw_body), request.headers.get("idempotency-key")
    )
    return web.json_response(body, status)


@app.route("/events/{event_id}/registrations", methods=["GET"], authorizer=staff_or_admin)
def list_registrations(event_id):
    query = app.current_request.query_params or {}
    return web.json_response(attendees.list_registrations(event_id, query), headers=web.PRIVATE)


@app.route("/events/{event_id}/attendees.csv", methods=["GET"], authorizer=staff_or_admin)
def attendees_csv(event_id):
    return web.file_response(attendees.export(event_id, "csv", app.current_request.query_params or {}))


@app.route("/events/{event_id}/attendees.xlsx", methods=["GET"], authorizer=staff_or_admin)
def attendees_xlsx(event_id):
    return web.file_response(attendees.export(event_id, "xlsx", app.current_request.query_params or {}))


@app.route("/events/{event_id}/registrations/{registration_id}", methods=["DELETE"], authorizer=staff_or_admin)
def erase_registration(event_id, registration_id):
    privacy.erase_registration(event_id, registration_id)
    return web.no_content()


@app.route("/events/{event_id}/registrations", methods=["POST"])
def register(event_id):
    request = app.current_request
    status, body = registrations.register(
        event_id, web.read_json(request.raw_body), request.headers.get("idempotency-key")
    )
    return web.json_response(body, status)


@app.route("/tickets/{ticket_token}", methods=["GET"])
def get_ticket(ticket_token):
    return web.json_response(registrations.get_ticket(ticket_token), headers=web.PRIVATE)


@app.route("/tickets/{ticket_token}/qr.png", methods=["GET"])
def ticket_qr_png(ticket_token):
    return web.content_response(registrations.ticket_qr(ticket_token, "png"), "image/png", web.IMMUTABLE)


@app.route("/tickets/{ticket_token}/qr.svg", methods=["GET"])
def ticket_qr_svg(ticket_token):
    return web.content_response(
        registrations.ticket_qr(ticket_token, "svg"), "image/svg+xml; charset=utf-8", web.IMMUTABLE
    )


@app.route("/tickets/{ticket_token}/cancel", methods=["POST"])
def cancel_ticket(ticket_token):
    return web.json_response(registrations.cancel_ticket(ticket_token), headers=web.PRIVATE)


@app.route("/openapi.json", methods=["GET"])
def openapi_document():
    return web.json_response(openapi.document())


# --- pages -----------------------------------------------------------------------------------

@app.route("/e/{event_id}", methods=["GET"])
def registration_form_page(event_id):
    return web.html_response(*pages.registration_page(event_id))


@app.route("/t/{ticket_token}", methods=["GET"])
def ticket_page(ticket_token):
    return web.html_response(*pages.ticket_page(ticket_token), headers=web.PRIVATE)


@app.route("/scan/{event_id}", methods=["GET"])
def scanner_page(event_id):
    return web.html_response(*pages.scanner_page(event_id))


@app.route("/privacy", methods=["GET"])
def privacy_page():
    return web.html_response(*pages.privacy_page())


@app.route("/static/{name}", methods=["GET"])
def static_asset(name):
    content, content_type = pages.static_asset(name)
    return web.content_response(content, content_type, web.STATIC)
