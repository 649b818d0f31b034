"""The fake SOLAPI (tools/testing/fake_solapi.py) against the real solapi SDK, imported as
the messaging backend imports it, over HTTP: the contract the fake claims to keep."""

import json
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from solapi import SolapiMessageService
from solapi.error.MessageNotReceiveError import MessageNotReceivedError
from solapi.model import KakaoOption, MessageType, RequestMessage, SendRequestConfig
from solapi.model.request.groups.get_groups import GetGroupsRequest
from solapi.model.request.messages.get_messages import GetMessagesRequest
from solapi.model.webhook.single_report import SingleReportPayload

from tools.testing import fake_solapi as module
from tools.testing.fake_solapi import FakeSolapi, authorization_header
from tools.testing.fake_solapi import fake_solapi  # noqa: F401 (the fixture, as callers use it)

SENDER = "0212345678"


@pytest.fixture
def fake():
    with FakeSolapi(senders={SENDER}, templates={"TPL1"}) as server:
        yield server


def service_for(fake, *, key=None, secret=None) -> SolapiMessageService:
    service = SolapiMessageService(key or fake.api_key, secret or fake.api_secret)
    service.base_url = fake.base_url  # the SDK keeps its base URL on the instance
    return service


def sms(to, text="안녕하세요", sender=SENDER, **kwargs):
    return RequestMessage(to=to, from_=sender, text=text, type=MessageType.SMS, auto_type_detect=False, **kwargs)


def ata(to, template_id="TPL1", pf_id="PF1"):
    return RequestMessage(to=to, from_=SENDER, text="출석 알림", type=MessageType.ATA, auto_type_detect=False,
                          kakao_options=KakaoOption(pf_id=pf_id, template_id=template_id,
                                                    variables={"name": "김민지"}))


def raw_get(fake, path, header):
    request = urllib.request.Request(fake.base_url + path, headers={"Authorization": header})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


# --- sending -------------------------------------------------------------------------


def test_some_accepted_some_refused_with_solapis_registration_codes(fake):
    fake.refuse.add("01055556666")
    messages = [
        sms("010-1111-2222", custom_fields={"attempt": "a1"}),
        sms("01055556666"),                   # blocked recipient
        sms("0101234"),                       # not a number
        sms("01033334444", sender="0299998888"),  # sender not registered
        sms("01077778888", text=" "),         # no text
        sms("01012121212", text="가" * 46),    # 92 bytes: over SMS's 90
        ata("01013131313", template_id="NOPE"),
        RequestMessage(to="01014141414", from_=SENDER, text="x", type=MessageType.ATA, auto_type_detect=False),
        ata("01015151515"),
    ]
    response = service_for(fake).send(messages, SendRequestConfig(show_message_list=True))
    group = response.group_info
    assert group.group_id.startswith("G4V") and len(group.group_id) == 32
    assert (group.count.total, group.count.registered_success, group.count.registered_failed) == (9, 2, 7)
    assert group.status == "SENDING" and group.api_version == "4"
    assert [(f.to, f.status_code) for f in response.failed_message_list] == [
        ("01055556666", "1060"), ("0101234", "1011"), ("01033334444", "1062"), ("01077778888", "1010"),
        ("01012121212", "1031"), ("01013131313", "1042"), ("01014141414", "1010")]
    assert all(f.message_id.startswith("M4V") and f.account_id and f.status_message
               for f in response.failed_message_list)
    assert [(m.status_code, m.custom_fields) for m in response.message_list] == [
        ("2000", {"attempt": "a1"}), ("2000", {})]
    assert fake.count_by_recipient() == {"01011112222": 1, "01015151515": 1}
    assert fake.requests[-1].status == 200 and len(fake.requests[-1].message_ids) == 9


def test_message_list_only_with_show_message_list(fake):
    response = service_for(fake).send(sms("01011112222"))
    assert response.message_list is None and response.failed_message_list == []


def test_every_message_refused_is_a_200_the_sdk_turns_into_message_not_received(fake):
    fake.refuse.update({"01011112222", "01033334444"})
    with pytest.raises(MessageNotReceivedError) as caught:
        service_for(fake).send([sms("01011112222"), sms("01033334444")])
    assert [f.status_code for f in caught.value.failed_messages] == ["1060", "1060"]
    assert fake.requests[-1].status == 200 and fake.count_by_recipient() == {}


def test_an_unregistered_sender_is_1062_only_when_senders_are_set(fake_solapi):  # noqa: F811
    assert fake_solapi.senders is None
    service_for(fake_solapi).send(sms("01011112222", sender="0299998888"))
    fake_solapi.senders = {"0299998888"}
    with pytest.raises(MessageNotReceivedError) as caught:
        service_for(fake_solapi).send(sms("01011112222", sender="0311112222"))
    assert caught.value.failed_messages[0].status_code == "1062"


def test_duplicates_are_1026_unless_allowed(fake):
    response = service_for(fake).send([sms("01011112222"), sms("01011112222")])
    assert [f.status_code for f in response.failed_message_list] == ["1026"]
    response = service_for(fake).send([sms("01033334444"), sms("01033334444")],
                                      SendRequestConfig(allow_duplicates=True))
    assert response.group_info.count.registered_success == 2


# --- request-level faults ------------------------------------------------------------


@pytest.mark.parametrize("status, code", [(402, "NotEnoughBalance"), (400, "ValidationError"), (403, "Forbidden"),
                                          (429, "TooManyRequests")])
def test_a_4xx_fault_surfaces_as_the_sdks_exception_and_records_nothing(fake, status, code):
    fake.fail_next(status)
    with pytest.raises(Exception) as caught:
        service_for(fake).send(sms("01011112222"))
    assert caught.value.args[0] == code and caught.value.args[1]
    assert fake.messages == {}
    if status == 402:
        assert caught.value.args == ("NotEnoughBalance", "보유 잔액이 부족합니다")


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_is_the_sdks_unknown_error(fake, status):
    fake.fail_next(status)
    with pytest.raises(Exception) as caught:
        service_for(fake).send(sms("01011112222"))
    assert caught.value.args[0] == "UnknownError" and fake.messages == {}


def test_a_5xx_after_processing_keeps_the_messages(fake):
    fake.fail_after_processing(500)
    with pytest.raises(Exception, match="UnknownError"):
        service_for(fake).send(sms("01011112222"))
    assert fake.count_by_recipient() == {"01011112222": 1} and fake.requests[-1].status == 500


def test_a_429_carries_retry_after_when_asked(fake):
    fake.fail_next(429, retry_after=3)
    try:
        urllib.request.urlopen(urllib.request.Request(
            fake.base_url + "/messages/v4/send-many/detail", data=b'{"messages": []}', method="POST",
            headers={"Authorization": authorization_header(fake.api_key, fake.api_secret),
                     "Content-Type": "application/json"}), timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 429 and exc.headers["Retry-After"] == "3"
        assert json.loads(exc.read())["errorCode"] == "TooManyRequests"
    else:
        pytest.fail("no 429")


def test_faults_can_target_other_endpoints(fake):
    fake.fail_next(503, on="list")
    service = service_for(fake)
    service.send(sms("01011112222"))  # not the list: untouched
    with pytest.raises(Exception, match="UnknownError"):
        service.get_messages()
    assert len(service.get_messages().message_list) == 1


def test_a_delayed_answer_comes_late_after_recording(fake):
    import time

    fake.delay_next(0.5)
    started = time.monotonic()
    service_for(fake).send(sms("01011112222"))
    assert time.monotonic() - started >= 0.5 and fake.count_by_recipient() == {"01011112222": 1}


def test_hold_and_release(fake):
    recorded = fake.hold_next()
    done = []
    worker = threading.Thread(target=lambda: done.append(service_for(fake).send(sms("01011112222"))))
    worker.start()
    assert recorded.wait(5) and not done
    fake.release()
    worker.join(5)
    assert done and done[0].group_info.count.registered_success == 1


# --- authentication ------------------------------------------------------------------


def test_a_wrong_secret_is_signature_does_not_match(fake):
    with pytest.raises(Exception) as caught:
        service_for(fake, secret="wrong").send(sms("01011112222"))
    assert caught.value.args[0] == "SignatureDoesNotMatch"
    assert fake.calls[-1].status == 403 and fake.messages == {}


def test_an_unknown_key_is_invalid_api_key(fake):
    with pytest.raises(Exception) as caught:
        service_for(fake, key="NOSUCHKEY").get_balance()
    assert caught.value.args[0] == "InvalidAPIKey"


@pytest.mark.parametrize("minutes, passes", [(20, False), (-20, False), (15, False), (14, True)])
def test_a_clock_15_minutes_off_is_request_time_too_skewed(fake, minutes, passes):
    fake.clock_offset = minutes * 60
    if passes:
        assert service_for(fake).get_balance().balance == fake.balance
        return
    with pytest.raises(Exception) as caught:
        service_for(fake).get_balance()
    assert caught.value.args[0] == "RequestTimeTooSkewed"


def test_a_replayed_authorization_header_is_duplicated_signature(fake):
    header = authorization_header(fake.api_key, fake.api_secret)
    assert raw_get(fake, "/cash/v1/balance", header)[0] == 200
    status, body = raw_get(fake, "/cash/v1/balance", header)
    assert (status, body["errorCode"]) == (403, "DuplicatedSignature") and body["errorMessage"]


@pytest.mark.parametrize("date", [
    "2025-01-01T12:00:00.123456+09:00",  # the Python SDK
    "2025-01-01T12:00:00+09:00",  # node
    "2025-01-01T03:00:00Z",  # go
    "2025-01-01T03:00:00.5Z",
])
def test_every_sdks_date_and_key_spelling_is_accepted(fake, date):
    moment = datetime(2025, 1, 1, 3, 0, tzinfo=timezone.utc)
    fake.clock_offset = (moment - datetime.now(timezone.utc)).total_seconds()
    for capitalised in (False, True):
        header = authorization_header(fake.api_key, fake.api_secret, date=date, capitalised=capitalised)
        assert raw_get(fake, "/cash/v1/balance", header)[0] == 200


def test_a_salt_outside_12_to_64_characters_and_a_missing_header_are_refused(fake):
    assert raw_get(fake, "/cash/v1/balance", authorization_header(fake.api_key, fake.api_secret, salt="short"))[1][
        "errorCode"] == "SignatureDoesNotMatch"
    assert raw_get(fake, "/cash/v1/balance", "")[0] == 403


def test_dates_parse_with_offsets_z_and_microseconds():
    parse = module._parse_date
    assert parse("2025-01-01T12:00:00.123456+09:00") == datetime(2025, 1, 1, 3, 0, 0, 123456, timezone.utc)
    assert parse("2025-01-01T03:00:00Z") == parse("2025-01-01T03:00:00+00:00") == parse("2025-01-01T03:00:00")
    assert parse("2025-01-01T03:00:00.1234567Z") == datetime(2025, 1, 1, 3, 0, 0, 123456, timezone.utc)
    assert parse("not a date") is None


# --- reading ---------------------------------------------------------------------------


def test_get_messages_pages_with_start_key_and_next_key(fake):
    service = service_for(fake)
    service.send([sms(f"0101111{n:04d}") for n in range(5)])
    service.send(sms("01099998888", sender=SENDER))
    seen, start_key = [], None
    for _ in range(10):
        page = service.get_messages(GetMessagesRequest(from_=SENDER, limit=2, start_key=start_key))
        assert isinstance(page.message_list, dict) and len(page.message_list) <= 2
        seen += list(page.message_list)
        if not page.next_key:
            break
        start_key = page.next_key
    assert len(seen) == len(set(seen)) == 6
    one = service.get_messages(GetMessagesRequest(to="01099998888"))
    assert [m.to for m in one.message_list.values()] == ["01099998888"]
    now = datetime.now(timezone.utc)
    window = service.get_messages(GetMessagesRequest(start_date=(now - timedelta(minutes=1)).isoformat(),
                                                     end_date=(now + timedelta(minutes=1)).isoformat()))
    assert len(window.message_list) == 6
    assert service.get_messages(GetMessagesRequest(end_date=(now - timedelta(hours=1)).isoformat())
                                ).message_list == {}


def test_the_node_path_and_criteria_work_too(fake):
    response = service_for(fake).send(sms("01011112222"))
    group_id = response.group_info.group_id
    header = authorization_header(fake.api_key, fake.api_secret)
    status, body = raw_get(fake, f"/messages/v4/list?criteria=groupId&cond=eq&value={group_id}", header)
    assert status == 200 and [m["groupId"] for m in body["messageList"].values()] == [group_id]


def test_get_group_its_messages_and_groups(fake):
    service = service_for(fake)
    group_id = service.send([sms("01011112222"), sms("01033334444")]).group_info.group_id
    group = service.get_group(group_id)
    assert group.group_id == group_id and group.count.registered_success == 2
    assert len(service.get_group_messages(group_id).message_list) == 2
    assert list(service.get_groups(GetGroupsRequest(group_id=group_id)).group_list) == [group_id]
    with pytest.raises(Exception) as caught:
        service.get_group("G4VNOSUCHGROUP")
    assert caught.value.args[0] == "ResourceNotFound"


def test_get_balance(fake):
    fake.balance, fake.point = 1234.5, 10
    balance = service_for(fake).get_balance()
    assert (balance.balance, balance.point) == (1234.5, 10)


# --- delivery reports ------------------------------------------------------------------


class Webhook:
    """A local receiver: answers `answers` in turn (then 200), records every request."""

    def __init__(self, answers=()):
        self.answers, self.received = list(answers), []
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                webhook.received.append((dict(self.headers), json.loads(body)))
                status = webhook.answers.pop(0) if webhook.answers else 200
                data = json.dumps({"ok": status == 200, "call": len(webhook.received)}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/reports"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hooks = []

    def make(answers=()):
        hooks.append(Webhook(answers))
        return hooks[-1]

    yield make
    for hook in hooks:
        hook.close()


def test_deliver_posts_envelopes_the_sdk_model_reads_without_any_signature(fake, webhook):
    response = service_for(fake).send([sms("01011112222", custom_fields={"r": "1"}), sms("01033334444")],
                                      SendRequestConfig(show_message_list=True))
    first, second = [m.message_id for m in response.message_list]
    hook = webhook()
    result = fake.deliver(hook.url, statuses={first: "4000", second: "3041"})
    assert result == (200, {"ok": True, "call": 1}) and len(result.calls) == 1
    headers, body = hook.received[0]
    assert headers["Content-Type"] == "application/json"
    assert not [h for h in headers if "signature" in h.lower() or h.lower() == "authorization"]
    reports = SingleReportPayload.model_validate(body).root
    assert {(r.data.message_id, r.data.status_code) for r in reports} == {(first, "4000"), (second, "3041")}
    assert all(r.retry_count == 0 and r.event_data_id for r in reports)
    by_id = {r.data.message_id: r.data for r in reports}
    assert by_id[first].custom_fields == {"r": "1"} and by_id[second].status_message == "단말기 busy"
    listed = service_for(fake).get_messages().message_list
    assert (listed[first].status_code, listed[second].status_code) == ("4000", "3041")
    group = service_for(fake).get_group(response.group_info.group_id)
    assert (group.count.sent_success, group.count.sent_pending, group.count.sent_total) == (1, 0, 2)


def test_deliver_flat_posts_message_objects(fake, webhook):
    response = service_for(fake).send(sms("01011112222"), SendRequestConfig(show_message_list=True))
    hook = webhook()
    fake.deliver(hook.url, status="3059", shape="flat")
    (_, body), = hook.received
    assert isinstance(body, list) and "data" not in body[0]
    assert (body[0]["messageId"], body[0]["statusCode"], body[0]["groupId"]) == (
        response.message_list[0].message_id, "3059", response.group_info.group_id)


def test_a_non_200_answer_is_retried_with_retry_count(fake, webhook):
    service_for(fake).send(sms("01011112222"))
    hook = webhook(answers=[500, 500])
    result = fake.deliver(hook.url)
    assert len(hook.received) == 3 and result.status == 200
    assert [body[0]["retryCount"] for _, body in hook.received] == [0, 1, 2]
    assert len({body[0]["eventDataId"] for _, body in hook.received}) == 1
    assert [(c.retry_count, c.status) for c in result.calls] == [(0, 500), (1, 500), (2, 200)]


def test_five_calls_in_all_then_it_gives_up(fake, webhook):
    service_for(fake).send(sms("01011112222"))
    hook = webhook(answers=[503] * 10)
    status, body = fake.deliver(hook.url)
    assert status == 503 and len(hook.received) == 5 and body == {"ok": False, "call": 5}


def test_deliver_no_longer_takes_a_secret(fake):
    with pytest.raises(TypeError, match="secret"):
        fake.deliver("http://127.0.0.1:9/", "a-secret")


def test_the_http_control_endpoints(fake, webhook):
    service_for(fake).send(sms("01011112222"))
    hook = webhook(answers=[500])

    def post(path, payload):
        request = urllib.request.Request(fake.base_url + path, data=json.dumps(payload).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    status, answer = post("/_fake/deliver", {"url": hook.url, "status": "4000", "shape": "envelope"})
    assert status == 200 and answer["webhook_status"] == 200
    assert [c["retryCount"] for c in answer["calls"]] == [0, 1]
    assert post("/_fake/deliver", {"url": hook.url, "secret": "s"})[0] == 400
    assert post("/_fake/faults", {"fault": "fail", "status": 402})[0] == 200
    with pytest.raises(Exception, match="NotEnoughBalance"):
        service_for(fake).send(sms("01033334444"))
    assert post("/_fake/config", {"senders": ["0299998888"], "clock_offset": 0})[0] == 200
    assert fake.senders == {"0299998888"}
    with urllib.request.urlopen(fake.base_url + "/_fake/messages", timeout=5) as response:
        listed = json.loads(response.read())
    assert listed["count_by_recipient"] == {"01011112222": 1}
    assert post("/_fake/reset", {})[0] == 200 and fake.messages == {}


def test_the_demo_server_has_help(capsys):
    with pytest.raises(SystemExit) as caught:
        module.main(["--help"])
    assert caught.value.code == 0 and "--port" in capsys.readouterr().out
