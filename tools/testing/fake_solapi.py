"""A local server that speaks SOLAPI's message API, for tests and a local demo.

    from tools.testing.fake_solapi import fake_solapi  # noqa: F401 (a pytest fixture)

    def test_x(fake_solapi):
        backend = SolapiBackend(api_key=fake_solapi.api_key, api_secret=fake_solapi.api_secret,
                                base_url=fake_solapi.base_url)
        ...
        assert fake_solapi.count_by_recipient() == {"01012345678": 1}

    python -m tools.testing.fake_solapi --port 8099      # a demo server; control it over HTTP

What it implements, in the shapes the solapi SDK (5.0.3) sends and parses:

  POST /messages/v4/send-many/detail        send: per message accepted (statusCode 2000) or
                                            refused (failedMessageList); messageList when
                                            showMessageList is set
  GET  /messages/v4/list-old                messages by messageId, groupId, from, to, type,
                                            statusCode and a startDate/endDate window, paged
                                            with startKey/nextKey
  GET  /messages/v4/groups/{id}[/messages]  one group, its messages
  GET  /cash/v1/balance

Requests must carry SOLAPI's HMAC-SHA256 Authorization header for the server's key and
secret (401 otherwise). Messages are refused per message for a `to` that is not a Korean
mobile number, a number in `refuse`, an empty SMS/LMS text, or an Alimtalk without pfId
and templateId.

Faults for the next send requests, consumed in order (fail_next, fail_after_processing,
delay_next, hold_next): a 4xx/5xx before processing (nothing recorded), a 5xx after
processing (recorded, the answer says it failed), a slow answer after processing (the
SDK times out at 5 s), and an answer held back until release() (the test kills the
worker meanwhile). deliver() posts signed delivery reports to a webhook, as SOLAPI does.

Over HTTP (for a server in another process): GET /_fake/messages, POST /_fake/reset,
POST /_fake/faults {"fault": "fail"|"fail_after"|"delay"|"hold", ...},
POST /_fake/release, POST /_fake/deliver {"url": ..., "secret": ..., "status": "4000"}.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import hmac
import json
import re
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

_AUTH = re.compile(r"HMAC-SHA256 ApiKey=(?P<key>[^,]+), Date=(?P<date>[^,]+), salt=(?P<salt>[^,]+), "
                   r"signature=(?P<signature>[0-9a-f]+)")
_MOBILE = re.compile(r"^01[016789]\d{7,8}$")
ACCOUNT_ID = "FAKEACCOUNT"


@dataclass
class Fault:
    kind: str  # "fail" (before processing), "fail_after", "delay", "hold"
    status: int = 500
    error_code: str = ""
    message: str = ""
    seconds: float = 0.0
    event: threading.Event = field(default_factory=threading.Event)


@dataclass
class SendRequest:
    """One POST to send-many/detail as the server saw it."""

    at: float
    group_id: str
    message_ids: list[str]
    status: int


class FakeSolapi:
    def __init__(self, *, api_key: str = "fake-key", api_secret: str = "fake-secret", host: str = "127.0.0.1",
                 port: int = 0):
        self.api_key, self.api_secret = api_key, api_secret
        self.refuse: set[str] = set()
        self.messages: dict[str, dict] = {}  # messageId -> message, in arrival order
        self.groups: dict[str, dict] = {}
        self.requests: list[SendRequest] = []
        self.faults: collections.deque[Fault] = collections.deque()
        self.held: list[Fault] = []
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeSolapi":
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-solapi", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeSolapi":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """Settings pointing the solapi backend of a worker process here."""
        return {"MESSAGING_BACKEND": "solapi", "SOLAPI_API_KEY": self.api_key, "SOLAPI_API_SECRET": self.api_secret,
                "SOLAPI_BASE_URL": self.base_url}

    # --- faults --------------------------------------------------------------------------

    def fail_next(self, status: int = 500, error_code: str = "", message: str = "") -> None:
        """The next send is answered with this status before anything is recorded."""
        self.faults.append(Fault("fail", status=status, error_code=error_code, message=message))

    def fail_after_processing(self, status: int = 500) -> None:
        """The next send is recorded, then answered with this status."""
        self.faults.append(Fault("fail_after", status=status))

    def delay_next(self, seconds: float) -> None:
        """The next send is recorded, then answered after this many seconds."""
        self.faults.append(Fault("delay", seconds=seconds))

    def hold_next(self) -> threading.Event:
        """The next send is recorded and its answer held back until release(); the returned
        event is set once the messages are recorded."""
        fault = Fault("hold")
        fault.recorded = threading.Event()  # type: ignore[attr-defined]
        self.faults.append(fault)
        return fault.recorded  # type: ignore[attr-defined]

    def release(self) -> None:
        with self.lock:
            held, self.held = self.held, []
        for fault in held:
            fault.event.set()

    def reset(self) -> None:
        self.release()
        with self.lock:
            self.messages.clear()
            self.groups.clear()
            self.requests.clear()
            self.faults.clear()
            self.refuse.clear()

    # --- what the tests read ------------------------------------------------------------

    def accepted(self) -> list[dict]:
        with self.lock:
            return [m for m in self.messages.values() if m["statusCode"] == "2000" or m["statusCode"] == "4000"]

    def count_by_recipient(self) -> dict[str, int]:
        """How many accepted messages each number got: the "sent exactly once" check."""
        return dict(collections.Counter(m["to"] for m in self.accepted()))

    # --- webhooks ------------------------------------------------------------------------

    def report_payload(self, message_ids: list[str] | None = None, status: str = "4000",
                       status_message: str = "") -> list[dict]:
        with self.lock:
            chosen = [self.messages[i] for i in (message_ids or list(self.messages))
                      if i in self.messages]
        now = _iso(datetime.now(timezone.utc))
        return [{
            "eventDataId": f"E{uuid.uuid4().hex[:20]}",
            "retryCount": 0,
            "data": {
                "messageId": m["messageId"], "groupId": m["groupId"], "type": m["type"], "to": m["to"],
                "from": m["from"], "statusCode": status,
                "statusMessage": status_message or ("수신완료" if status == "4000" else "전송실패"),
                "dateProcessed": now, "dateReported": now, "dateReceived": now, "networkCode": "SKT",
                "customFields": m.get("customFields") or {},
            },
        } for m in chosen if m["statusCode"] == "2000"]

    def deliver(self, url: str, secret: str, message_ids: list[str] | None = None, status: str = "4000",
                payload: list[dict] | None = None, timestamp: int | None = None) -> tuple[int, dict]:
        """POSTs signed delivery reports to a webhook; returns (HTTP status, JSON body)."""
        body = json.dumps(payload if payload is not None else self.report_payload(message_ids, status)).encode()
        return post_signed(url, body, secret, timestamp)

    # --- the API ---------------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        match = _AUTH.fullmatch(header or "")
        if not match or match["key"] != self.api_key:
            return False
        expected = hmac.new(self.api_secret.encode(), (match["date"] + match["salt"]).encode(),
                            hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, match["signature"])

    def send_many(self, body: dict) -> tuple[int, dict, Fault | None]:
        fault = self.faults.popleft() if self.faults else None
        if fault is not None and fault.kind == "fail":
            self.requests.append(SendRequest(time.time(), "", [], fault.status))
            if fault.status >= 500:
                return fault.status, {"raw": fault.message or "Internal Server Error"}, None
            return fault.status, {"errorCode": fault.error_code or "ValidationError",
                                  "errorMessage": fault.message or "refused by the fake"}, None
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return 400, {"errorCode": "ValidationError", "errorMessage": "messages must be a non-empty list"}, None
        group_id = f"G4V{uuid.uuid4().hex[:17].upper()}"
        now = _iso(datetime.now(timezone.utc))
        accepted, failed = [], []
        seen = set()
        for raw in messages:
            message = self._message(raw, group_id, now)
            reason = self._refusal(message, seen, body.get("allowDuplicates", False))
            if reason:
                message["statusCode"], message["statusMessage"] = reason
                failed.append(message)
            else:
                seen.add(message["to"])
                accepted.append(message)
        group = self._group(group_id, len(messages), len(accepted), len(failed), now)
        with self.lock:
            for message in accepted + failed:
                self.messages[message["messageId"]] = message
            self.groups[group_id] = group
            self.requests.append(SendRequest(time.time(), group_id, [m["messageId"] for m in accepted + failed],
                                             fault.status if fault and fault.kind == "fail_after" else 200))
        answer = {
            "groupInfo": group,
            "failedMessageList": [_failed_item(m) for m in failed],
        }
        if body.get("showMessageList"):
            answer["messageList"] = [{"messageId": m["messageId"], "statusCode": m["statusCode"],
                                      "statusMessage": m["statusMessage"], "customFields": m["customFields"],
                                      "to": m["to"], "from": m["from"], "type": m["type"], "country": "82"}
                                     for m in accepted]
        if fault is not None and fault.kind == "fail_after":
            return fault.status, {"raw": "Internal Server Error (after processing)"}, None
        return 200, answer, fault

    def list_messages(self, query: dict[str, str]) -> dict:
        limit = max(1, min(int(query.get("limit") or 20), 1000))
        start = _parse_date(query.get("startDate"))
        end = _parse_date(query.get("endDate"))
        filters = {k: query[k] for k in ("messageId", "groupId", "from", "to", "type", "statusCode") if query.get(k)}
        with self.lock:
            rows = list(self.messages.values())
        selected = []
        for message in rows:
            if any(str(message.get(k)) != v for k, v in filters.items()):
                continue
            created = _parse_date(message["dateCreated"])
            if (start and created < start) or (end and created > end):
                continue
            selected.append(message)
        start_key = query.get("startKey")
        if start_key:
            ids = [m["messageId"] for m in selected]
            selected = selected[ids.index(start_key):] if start_key in ids else []
        page, rest = selected[:limit], selected[limit:]
        return {"limit": limit, "startKey": start_key, "nextKey": rest[0]["messageId"] if rest else None,
                "messageList": {m["messageId"]: m for m in page}}

    def _message(self, raw: dict, group_id: str, now: str) -> dict:
        return {
            "messageId": f"M4V{uuid.uuid4().hex[:17].upper()}", "groupId": group_id,
            "to": str(raw.get("to") or "").replace("-", ""), "from": str(raw.get("from") or ""),
            "type": raw.get("type") or "SMS", "text": raw.get("text"), "subject": raw.get("subject"),
            "kakaoOptions": raw.get("kakaoOptions"), "customFields": raw.get("customFields") or {},
            "country": str(raw.get("country") or "82"), "accountId": ACCOUNT_ID,
            "statusCode": "2000", "statusMessage": "정상 접수(이통사로 접수 예정)",
            "dateCreated": now, "dateUpdated": now, "log": [],
        }

    def _refusal(self, message: dict, seen: set, allow_duplicates: bool) -> tuple[str, str] | None:
        if not _MOBILE.match(message["to"]):
            return "1062", "수신번호 형식 오류"
        if message["to"] in self.refuse:
            return "3059", "수신거부 또는 변작된 번호"
        if message["to"] in seen and not allow_duplicates:
            return "1026", "중복 수신번호"
        if message["type"] in ("SMS", "LMS") and not (message["text"] or "").strip():
            return "1021", "메시지 내용 없음"
        if message["type"] == "ATA":
            options = message["kakaoOptions"] or {}
            if not options.get("pfId") or not options.get("templateId"):
                return "3103", "카카오 채널(pfId) 또는 템플릿 없음"
        return None

    def _group(self, group_id: str, total: int, accepted: int, failed: int, now: str) -> dict:
        zero = {"requested": 0, "replacement": 0, "refund": 0, "sum": 0}
        return {
            "count": {"total": total, "sentTotal": 0, "sentSuccess": 0, "sentPending": accepted,
                      "sentReplacement": 0, "refund": 0, "registeredFailed": failed, "registeredSuccess": accepted},
            "countForCharge": {"sms": {}, "lms": {}, "ata": {}},
            "balance": dict(zero), "point": dict(zero),
            "app": {"profit": {"sms": 0, "lms": 0, "ata": 0}, "appId": None},
            "log": [], "status": "SENDING", "allowDuplicates": False, "isRefunded": False,
            "accountId": ACCOUNT_ID, "masterAccountId": None, "apiVersion": "4", "groupId": group_id,
            "price": {}, "dateCreated": now, "dateUpdated": now,
        }


def _failed_item(message: dict) -> dict:
    return {"to": message["to"], "from": message["from"], "type": message["type"],
            "statusMessage": message["statusMessage"], "country": message["country"],
            "messageId": message["messageId"], "statusCode": message["statusCode"], "accountId": ACCOUNT_ID,
            "customFields": message["customFields"]}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def post_signed(url: str, body: bytes, secret: str, timestamp: int | None = None) -> tuple[int, dict]:
    """POSTs a body with the X-Webhook-Signature header the delivery webhook checks."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Webhook-Signature": f"t={timestamp},v1={digest}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"{}")
        except ValueError:
            return exc.code, {"raw": raw.decode(errors="replace")}


def _handler_for(fake: FakeSolapi):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _body(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return json.loads(raw or b"{}")

        def _answer(self, status: int, payload: dict) -> None:
            if "raw" in payload and status >= 500:
                data, kind = payload["raw"].encode(), "text/plain"
            else:
                data, kind = json.dumps(payload, ensure_ascii=False).encode(), "application/json"
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client is gone (killed, or timed out)
                pass

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/_fake/messages":
                return self._answer(200, {"messages": list(fake.messages.values()),
                                          "count_by_recipient": fake.count_by_recipient()})
            if not fake.authorized(self.headers.get("Authorization")):
                return self._answer(401, {"errorCode": "InvalidAPIKey", "errorMessage": "bad signature"})
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if url.path == "/messages/v4/list-old":
                return self._answer(200, fake.list_messages(query))
            match = re.fullmatch(r"/messages/v4/groups/([^/]+)(/messages)?", url.path)
            if match:
                group = fake.groups.get(match.group(1))
                if group is None:
                    return self._answer(404, {"errorCode": "NotFound", "errorMessage": "no such group"})
                if match.group(2):
                    return self._answer(200, fake.list_messages({**query, "groupId": match.group(1)}))
                return self._answer(200, group)
            if url.path == "/cash/v1/balance":
                return self._answer(200, {"balance": 100000.0, "point": 0.0})
            return self._answer(404, {"errorCode": "NotFound", "errorMessage": url.path})

        def do_POST(self):
            url = urlsplit(self.path)
            try:
                body = self._body()
            except ValueError:
                return self._answer(400, {"errorCode": "InvalidJSON", "errorMessage": "body is not JSON"})
            if url.path.startswith("/_fake/"):
                return self._control(url.path, body)
            if not fake.authorized(self.headers.get("Authorization")):
                return self._answer(401, {"errorCode": "InvalidAPIKey", "errorMessage": "bad signature"})
            if url.path != "/messages/v4/send-many/detail":
                return self._answer(404, {"errorCode": "NotFound", "errorMessage": url.path})
            status, payload, fault = fake.send_many(body)
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault is not None and fault.kind == "hold":
                with fake.lock:
                    fake.held.append(fault)
                fault.recorded.set()
                fault.event.wait(300)
            self._answer(status, payload)

        def _control(self, path: str, body: dict):
            if path == "/_fake/reset":
                fake.reset()
            elif path == "/_fake/release":
                fake.release()
            elif path == "/_fake/faults":
                kind = body.get("fault")
                if kind == "fail":
                    fake.fail_next(int(body.get("status", 500)), body.get("error_code", ""))
                elif kind == "fail_after":
                    fake.fail_after_processing(int(body.get("status", 500)))
                elif kind == "delay":
                    fake.delay_next(float(body.get("seconds", 6)))
                elif kind == "hold":
                    fake.hold_next()
                else:
                    return self._answer(400, {"error": f"unknown fault {kind!r}"})
            elif path == "/_fake/refuse":
                fake.refuse.update(body.get("numbers", []))
            elif path == "/_fake/deliver":
                status, answer = fake.deliver(body["url"], body["secret"], body.get("message_ids"),
                                              body.get("status", "4000"))
                return self._answer(200, {"webhook_status": status, "webhook_answer": answer})
            else:
                return self._answer(404, {"error": path})
            return self._answer(200, {"ok": True})

    return Handler


@pytest.fixture
def fake_solapi():
    with FakeSolapi() as server:
        yield server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local SOLAPI stand-in (see the module docstring).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--api-key", default="fake-key")
    parser.add_argument("--api-secret", default="fake-secret")
    args = parser.parse_args(argv)
    server = FakeSolapi(api_key=args.api_key, api_secret=args.api_secret, host=args.host, port=args.port)
    print(f"fake SOLAPI on {server.base_url} (key {args.api_key!r}, secret {args.api_secret!r}); "
          f"SOLAPI_BASE_URL={server.base_url}", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
