"""The local HTTP server for the Chalice app: `chalice local` with four fixes.

1. TCP_NODELAY: http.server sends headers and body in separate writes; with Nagle's
   algorithm and delayed ACKs every keep-alive response waits ~40 ms.
2. The caller's address (requestContext.identity.sourceIp) is the TCP peer, as API Gateway
   reports it, instead of chalice local's fixed 127.0.0.1.
3. An authorizer failing with "Unauthorized" is a 401, and with anything else a 503, as in
   API Gateway with infra/'s gateway responses (chalice local would drop the connection).
4. Gateway-generated errors use baoming's error JSON, like the GatewayResponses in infra/.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    LocalGateway,
    LocalGatewayAuthorizer,
    LocalGatewayException,
    NotAuthorizedError,
    ThreadedHTTPServer,
)

# The same bodies infra/ configures as API Gateway GatewayResponses.
GATEWAY_ERRORS = {
    "UnauthorizedException": (401, {"error": "unauthorized", "message": "请提供有效的令牌（Authorization: Bearer …）"}),
    "AccessDeniedException": (403, {"error": "forbidden", "message": "此令牌无权访问该资源"}),
    "MissingAuthenticationToken": (404, {"error": "not_found", "message": "找不到该地址"}),
    "AuthorizerFailureException": (503, {"error": "service_unavailable", "message": "系统繁忙，请稍后重试"}),
}


class AuthorizerFailure(LocalGatewayException):
    """The authorizer raised something other than Unauthorized (say, DynamoDB is unreachable):
    API Gateway answers AUTHORIZER_FAILURE, which infra/ maps to a 503 with Retry-After."""

    CODE = 500


class GatewayLikeAuthorizer(LocalGatewayAuthorizer):
    def authorize(self, raw_path: str, lambda_event: Any, lambda_context: Any) -> Any:
        try:
            return super().authorize(raw_path, lambda_event, lambda_context)
        except LocalGatewayException:
            raise
        except Exception as error:
            if str(error) == "Unauthorized":
                raise NotAuthorizedError(
                    {"x-amzn-ErrorType": "UnauthorizedException"}, b'{"message":"Unauthorized"}'
                ) from error
            raise AuthorizerFailure({"x-amzn-ErrorType": "AuthorizerFailureException"}) from error


class GatewayLike(LocalGateway):
    def __init__(self, app_object: Chalice, config: Config, client_ip: str | None = None):
        super().__init__(app_object, config)
        self._authorizer = GatewayLikeAuthorizer(app_object)
        self._client_ip = client_ip

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: Any) -> Any:
        # API Gateway's requestContext.identity.sourceIp is the caller's address as the gateway saw
        # it; chalice local always says 127.0.0.1. Here it is the TCP peer of the request, never a
        # header a client can set (X-Forwarded-For is ignored).
        event = super()._generate_lambda_event(method, path, headers, body)
        if self._client_ip:
            event["requestContext"]["identity"]["sourceIp"] = self._client_ip
        return event


class NoDelayChaliceHandler(ChaliceRequestHandler):
    disable_nagle_algorithm = True
    quiet = True

    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Chalice, config: Config):
        self.local_gateway = GatewayLike(app_object, config, client_address[0] if client_address else None)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def _send_error_response(self, error: LocalGatewayException) -> None:
        error_type = error.headers.get("x-amzn-ErrorType", "")
        if error_type == "UnauthorizedException" and error.CODE == 403:
            error_type = "MissingAuthenticationToken"
        status, body = GATEWAY_ERRORS.get(error_type, (error.CODE, {"error": "gateway_error", "message": "网关错误"}))
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if status == 503:
            headers["Retry-After"] = "2"
        # A HEAD answer has no body (as the app's own HEAD replies): body bytes there would be read
        # as the start of the next response on a kept-alive connection.
        text = "" if self.command == "HEAD" else json.dumps(body, ensure_ascii=False)
        self._send_http_response(status, headers, text)

    def __getattr__(self, name: str) -> Any:
        # Methods Chalice has no handler for (TRACE, CONNECT, ...): a JSON 405, not http.server's HTML 501.
        if name.startswith("do_"):
            return self._method_not_allowed
        raise AttributeError(name)

    def _method_not_allowed(self) -> None:
        self._send_http_response(
            405,
            {"Content-Type": "application/json; charset=utf-8"},
            json.dumps({"error": "method_not_allowed", "message": "不支持该请求方法"}, ensure_ascii=False),
        )

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)


class BusyServer(ThreadedHTTPServer):
    request_queue_size = 256


def make_server(app_object: Chalice, config: Config, host: str = "127.0.0.1", port: int = 0) -> LocalDevServer:
    from chalicelib.web.lazy import load_all

    load_all()  # this server is multi-threaded: no module may load lazily under concurrent requests
    # Like chalice.local.create_local_server: current_request becomes thread-local.
    if not isinstance(app_object, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app_object.__class__)
        app_object.__class__ = CustomLocalChalice
    return LocalDevServer(app_object, config, host, port, handler_cls=NoDelayChaliceHandler, server_cls=BusyServer)


class ServerThread:
    """Runs a LocalDevServer in the background (tests, benchmarks)."""

    def __init__(self, server: LocalDevServer):
        self.server = server
        self._thread = threading.Thread(target=server.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ServerThread":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server.server_close()
        self._thread.join(timeout=5)


def serve_in_foreground() -> None:
    """`python -m devtools.local_server`: the app alone on 127.0.0.1:$PORT (0 = any free port),
    configured entirely by the environment; prints its base URL, then serves until killed.
    Tests use it to run the app against a store that is down or hung."""
    import os

    from app import app
    from devtools.stage import chalice_config

    server = make_server(app, chalice_config("local"), port=int(os.environ.get("PORT", "0")))
    host, port = server.server.server_address[:2]
    print(f"http://{host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve_in_foreground()
