"""A local server that speaks SOLAPI's HTTP API, for tests and a local demo.

    from tools.testing.fake_solapi import fake_solapi  # noqa: F401 (a pytest fixture)

    def test_x(fake_solapi):
        backend = SolapiBackend(api_key=fake_solapi.api_key, api_secret=fake_solapi.api_secret,
                                base_url=fake_solapi.base_url)
        ...
        assert fake_solapi.count_by_recipient() == {"01012345678": 1}

    python -m tools.testing.fake_solapi --port 8099      # a demo server; control it over HTTP

Everything below says where it comes from. Sources, and how they are cited:

  [py]    the solapi 5.0.3 wheel (the SDK the messaging worker uses), paths inside it
  [node]  solapi/solapi-nodejs        [go]  solapi/solapi-go        [php]  solapi/solapi-php
  [docs]  solapi/documents, the source of the old docs.solapi.com (2022; no webhook pages)

developers.solapi.com, the current reference, could not be read. Where no source says
what SOLAPI does, this docstring says "not known" and what the fake does instead.

Authentication (every /messages, /cash endpoint) [docs authentication/api-key.md]
---------------------------------------------------------------------------------
  Authorization: HMAC-SHA256 apiKey=<key>, date=<ISO 8601>, salt=<12-64 chars>, signature=<hex>
  signature = hex(HMAC-SHA256(key=API secret, msg=date + salt)); body, method and path are
  not signed [docs api-key.md; py lib/authenticator.py; node src/lib/authenticator.ts;
  go v2/internal/auth/auth.go; php src/Libraries/Authenticator.php]. HMAC-MD5 is the other
  method the docs name; the fake checks it the same way with MD5.
  Key names: the Python SDK sends `ApiKey=` and `Date=` [py lib/authenticator.py], node, go
  and php send `apiKey=` and `date=`; the fake accepts either case (a shipping SDK sends
  each, so the server evidently does too).
  Dates the fake parses: ISO 8601 with an offset (`+09:00`, the Python and node SDKs), `Z`
  (go), fractions of any length (Python sends microseconds); a date without an offset is
  taken as UTC (not known what SOLAPI does). php's quirk `...T12:00:00.32400Z` (local
  Seoul time, offset seconds as a fraction) is read as UTC, so the fake refuses it as skewed.
  Answers, all HTTP 403 with {"errorCode", "errorMessage"} [docs api-key.md]:
    InvalidAPIKey           the key is not the fake's `api_key`
    SignatureDoesNotMatch   the signature is not HMAC(api_secret, date + salt)
    RequestTimeTooSkewed    the date is 15 minutes or more from the fake's clock
                            (time.time() + `clock_offset` seconds; set it to play a server
                            whose clock differs from the worker's)
    DuplicatedSignature     the same signature was accepted within the last 15 minutes
  errorMessage is the docs' description of each code (the server's wording is not known).
  Not known, the fake's choice: the order of the checks (the fake: key, signature, date,
  replay); the answer to a missing or unparseable header (the fake: 403 InvalidAPIKey); to a
  salt outside 12-64 characters (the fake: 403 SignatureDoesNotMatch); to an unparseable
  date (the fake: 403 RequestTimeTooSkewed). The /_fake/* control endpoints need no header.

POST /messages/v4/send-many/detail [py services/message_service.py send]
------------------------------------------------------------------------
  Body [py model/request/send_message_request.py, model/request/message.py]: messages[]
  (to: str or list, from, text, type, subject, imageId, country, autoTypeDetect,
  customFields, kakaoOptions{pfId, templateId, variables, disableSms}), allowDuplicates,
  showMessageList, scheduledDate, appId, agent. Dashes in numbers are dropped.
  Answer 200 [py model/response/send_message_response.py, model/response/common_response.py;
  node src/models/responses/sendManyDetailResponse.ts; docs api-reference/messages/sendMany.md]:
    {"groupInfo": {count{total, sentTotal, sentFailed, sentSuccess, sentPending,
                         sentReplacement, refund, registeredFailed, registeredSuccess},
                   countForCharge, balance, point, app, log, status, allowDuplicates,
                   isRefunded, accountId, masterAccountId, apiVersion "4", groupId,
                   customFields, price, dateCreated, dateUpdated, dateSent, ...},
     "failedMessageList": [{to, from, type, statusMessage, country, messageId, statusCode,
                            accountId, customFields}],
     "messageList": [{messageId, statusCode "2000", statusMessage, customFields}]}
  messageList only when showMessageList is true [node sendManyDetailResponse.ts]; it lists
  the accepted messages (whether SOLAPI lists refused ones there too is not known).
  Ids: "G4V"/"M4V", the creation time in Korean time (YYYYMMDDHHMMSS) and 15 random capitals
  and digits, as in the docs' samples (G4V20211116140950FNBDVHMD64V2SO0 created at
  2021-11-16T05:09:50Z [docs sendMany.md]).
  Group status "SENDING" [docs sendMany.md]; when every message was refused the fake says
  "FAILED" (not known; the docs only name a FailedGroup error). price is {} (the docs'
  sample has {"82": []}, which the Python SDK's model cannot read).

  Per-message refusals: a failedMessageList entry with a registration (1xxx) code and the
  docs' text for it as statusMessage [docs api-reference/message-status-codes.md]. The
  fake's rules, checked in this order (the server's own rules and order are not published):
    1025  `type` is not one of [py model/message_type.py] MessageType
    1010  a required value is missing: `to`, `from`, `text` (SMS, LMS, ATA, CTA; MMS needs
          text or imageId), or an Alimtalk (ATA) without kakaoOptions.pfId and templateId
    1011  "Format Error": `to` or `from` is not a number the fake takes for one (country 82:
          0 and 8-10 more digits, or an 8-digit 15xx/16xx/18xx number; others: 4-15
          digits). The exact rule is not published; 1011 is the docs' registration-stage
          format code (3010/3013 are the carrier's)
    1062  `from` is not in `senders` (when `senders` is None, every sender is registered)
    1060  `to` is in `refuse` (blocked recipient)
    1061  `to` is in `opted_out` (080 opt-out)
    1026  the same `to` twice in one request without allowDuplicates
    1013  a subject on an SMS;  1014 a subject over 40 bytes
    1031  text too long: SMS 90 bytes, LMS/MMS 2000 bytes, ATA/CTA 1000 characters, CTI 400
          characters [docs status codes]. Bytes are counted as EUC-KR (Hangul 2 bytes;
          a character EUC-KR lacks counts 2): the docs say "byte" without an encoding, and
          1029 says SMS takes EUC-KR only (inference)
    1033  kakaoOptions on a message that is not ATA or CTA
    1041  kakaoOptions.pfId is not in `pf_ids` (only when `pf_ids` is set)
    1042  kakaoOptions.templateId is not in `templates` (only when `templates` is set)
    1032  customFields: a name over 30 characters, a value over 100, or a value not a string
  Not done (not cheap to do faithfully): 1029 (characters outside EUC-KR), 1030 (balance),
  1043 (text against the template), buttons (1044-1053), images (1023/1034).
  With autoTypeDetect and no type, the fake picks MMS with an imageId, ATA with
  kakaoOptions.templateId, CTA with other kakaoOptions, LMS over 90 bytes, else SMS
  (inference; SOLAPI's rule is not published). A `to` list becomes one message per number
  (inference).
  Every message refused: still HTTP 200, with failedMessageList and count.total ==
  count.registeredFailed; the SDK then raises MessageNotReceivedError [py
  services/message_service.py, error/MessageNotReceiveError.py]. The status is an
  inference: [py lib/fetcher.py] raises on any 4xx/5xx before it reads the body, so the
  SDK's check can only be reached on a 2xx. Refused messages are kept and listed too.
  Request-level refusals: an empty `messages` list is 400 ValidationError (not known what
  SOLAPI answers); more than 10,000 messages is 413 RecipientsTooMany (the limit is [node
  src/services/messages/messageService.ts]; the code and status are the docs' answer to
  adding too many to a group [docs message-api-v4/undefined-1/undefined-4.md], borrowed).
  Scheduled sends are recorded (group scheduledDate) but nothing is scheduled.

Faults for the next requests, consumed in order (each for "send" unless `on=` says
"list", "group", "balance" or "any"):
  fail_next(status, error_code, message)   answered before anything is recorded. Codes by
        status when none is given: 400 ValidationError, 402 NotEnoughBalance ("보유 잔액이
        부족합니다"), 403 Forbidden ("잘못된 접근입니다"), 404 ResourceNotFound, 409
        GroupInProcessing, 413 RecipientsTooMany [docs message-api-v4/undefined.md,
        undefined-1/undefined-6.md, cash-api/undefined-3.md]; 429 TooManyRequests, which is
        NOT from any SOLAPI source: no source documents SOLAPI's rate-limit answer (no SDK
        handles 429; node and go retry only 503), so the fake offers one to test a client
        both ways. 5xx: the body SOLAPI sends is not known ([py lib/fetcher.py] reads only
        response.text, raising Exception("UnknownError", text)); the fake sends the plain
        reason phrase, or {"errorCode", "errorMessage"} when error_code is given.
  fail_after_processing(status)   the messages are recorded, then this status is answered
  delay_next(seconds)             recorded, answered late ([py lib/fetcher.py]'s httpx
                                  client gives up after its default 5 s)
  hold_next()                     recorded, answer held back until release()

GET /messages/v4/list-old (the Python SDK [py services/message_service.py get_messages])
and GET /messages/v4/list (node, php and the docs) are one handler [docs
api-reference/messages/getMessageList.md; py model/request/messages/get_messages.py,
model/response/messages/get_messages.py]: {"startKey", "nextKey", "limit", "messageList":
{messageId: message}}, an object keyed by messageId. Filters messageId, messageIds,
groupId, from, to, type, statusCode, startDate/endDate on dateCreated (dateType=UPDATED:
dateUpdated), and criteria/cond/value lists (eq, ne, gt, gte, lt, lte, like, in).
Paging: startKey is the first messageId of the page, nextKey the first of the next page or
null [docs: startKey is "현재 목록을 불러올 기준이 되는 키"]. Not known, the fake's choice: the
order (the fake: creation order), the largest limit (the fake: none), field[op]= syntax
(not done). A message: the docs sample's fields (_id, messageId, groupId, accountId, type,
country, text, from, to, subject, imageId, statusCode, status "PENDING", customFields,
kakaoOptions, dateProcessed, dateReported, dateReceived, networkCode, networkName, reason,
log, autoTypeDetect, replacement, resendCount, dateCreated, dateUpdated). After a report the
fake sets status "COMPLETE", and "FAILED" for a refused message (not known: the docs show
only "PENDING").
GET /messages/v4/groups (criteria=groupId&cond=eq&value=<id>, startKey, limit;
{groupList: {id: group}}) [py model/request/groups/get_groups.py,
model/response/groups/get_groups.py], GET /messages/v4/groups/{id} [py get_group; docs
messages/groups/getMessageGroupInfo.md], GET /messages/v4/groups/{id}/messages [py
model/response/groups/get_group_messages.py]. An unknown group: 404 ResourceNotFound [docs
message-api-v4/undefined-1/undefined-2.md].
GET /cash/v1/balance: the docs' sample shape {lowBalanceAlert, point, minimumCash,
rechargeTo, rechargeTryCount, autoRecharge, accountId, balance} with `balance` and `point`
from the fake [docs api-reference/cash/getbalance.md; py model/response/balance/get_balance.py].

Delivery reports: deliver(url, ...) posts them as SOLAPI does
-------------------------------------------------------------
  A JSON array, Content-Type application/json (inference: the SDK's Django example parses
  json.loads, the node example bodyParser.json), NO signature or auth header: no SOLAPI
  source documents one [py model/webhook/*; node examples/javascript/webhooks/index.js].
  The body's shape is not settled by the sources, so it is selectable:
    shape="envelope" (default) [py model/webhook/single_report.py SingleReportPayload]:
      [{"eventDataId", "retryCount", "data": {messageId, groupId, type, to, from,
        statusCode, statusMessage, dateProcessed, dateReported, dateReceived, networkCode,
        customFields, kakaoOptions (ATA/CTA)}}]
    shape="flat" (node example: "body에 [] 형식으로 메시지정보 객체 목록", read straight off
      each item): [message, ...], each the list API's message with the report applied.
  The receiver must answer 200; otherwise SOLAPI calls again, "총 5번" (5 calls in all)
  [node example; pyrepo examples/webhook/django_example]. The fake: a non-200 answer (or
  no answer) is retried until 5 calls (`attempts`), retryCount 0, 1, 2, ... in the
  envelope (inference from the field's name [py single_report.py]), eventDataId the same
  in every try (inference), `retry_interval` seconds between tries (SOLAPI's interval is
  not known; the fake's default is short, for tests). Statuses: 4000 delivered, 3xxx the
  carrier's (e.g. 3040 send time exceeded, 3041 handset busy, 3059 forged sender, 3103
  message/template mismatch) [docs status codes]; one for all or per message. networkCode
  is null (the docs' sample values are null). Group reports [py model/webhook/group_report.py]
  are not sent.
  Published sender IP addresses for reports, and rate limits: not known.

HTTP control endpoints (a fake in another process; no Authorization needed)
-----------------------------------------------------------------------------
  GET  /_fake/messages    {"messages": [...], "count_by_recipient": {...}, "requests": [...]}
  POST /_fake/reset
  POST /_fake/faults      {"fault": "fail"|"fail_after"|"delay"|"hold", "status",
                           "error_code", "message", "seconds", "on", "retry_after"}
  POST /_fake/release
  POST /_fake/refuse      {"numbers": [...]}  (blocked recipients, 1060)
  POST /_fake/config      any of {"senders": [...]|null, "templates": [...]|null,
                           "pf_ids": [...]|null, "clock_offset", "balance", "point",
                           "retry_interval"}
  POST /_fake/deliver     {"url", "status"?, "statuses"?: {messageId: code}, "shape"?,
                           "message_ids"?, "attempts"?, "interval"?} ->
                          {"webhook_status", "webhook_answer", "calls": [{retryCount,
                           status, body}]}
"""

from __future__ import annotations

import argparse
import ast
import collections
import hashlib
import hmac
import http.client
import json
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

ACCOUNT_ID = "FAKEACCOUNT"
SKEW = timedelta(minutes=15)  # [docs api-key.md]: ±15 minutes, and no reuse within 15 minutes
MAX_MESSAGES = 10_000  # [node src/services/messages/messageService.ts]
REPORT_ATTEMPTS = 5  # "총 5번이 호출됩니다" [node examples/javascript/webhooks/index.js]
KST = timezone(timedelta(hours=9))

# [py model/message_type.py]
MESSAGE_TYPES = frozenset({
    "SMS", "LMS", "MMS", "ATA", "CTA", "CTI", "NSA", "RCS_SMS", "RCS_LMS", "RCS_MMS", "RCS_TPL",
    "RCS_ITPL", "RCS_LTPL", "FAX", "VOICE", "BMS_TEXT", "BMS_IMAGE", "BMS_WIDE", "BMS_WIDE_ITEM_LIST",
    "BMS_CAROUSEL_FEED", "BMS_PREMIUM_VIDEO", "BMS_COMMERCE", "BMS_CAROUSEL_COMMERCE", "BMS_FREE",
})

# [docs api-reference/message-status-codes.md], verbatim.
STATUS_MESSAGES = {
    "2000": "정상 접수(이통사로 접수 예정)", "3000": "이통사로 접수(리포트를 기다리는 중)", "4000": "발송 처리 완료",
    "1010": "필수 입력 값 미입력", "1011": "Format Error",
    "1013": "제목은 문자 타입이 'SMS'일 경우 사용이 불가능합니다.", "1014": "제목은 40byte까지 사용 가능합니다.",
    "1020": "등록된 계정이 아니거나 패스워드가 틀림", "1021": "해당 메시지가 없음", "1022": "해당 그룹이 없음",
    "1023": "해당 이미지가 없음", "1024": "서버 오류",
    "1025": "잘못된 메시지 타입 ['SMS','LMS','MMS','ATA','CTA']중에서 사용 가능하며 대소문자는 구분하지 않습니다.",
    "1026": "중복 수신번호", "1027": "인코딩 방식은 UTF8 형식만 사용 가능합니다.",
    "1028": "Non Printable Characters는 사용할 수 없습니다.",
    "1029": "문자메시지의 경우 EUC-KR(완성형 한글) 범위 안에 있는 문자만 사용 합니다.", "1030": "잔액 부족",
    "1031": "SMS는 90byte LMS, MMS는 2000byte ATA, CTA는 한/영포함 1000자 CTI는 한/영포함 400자까지 사용 가능 합니다.",
    "1032": "유효한 커스텀 필드 값이 아닙니다. 필드명은 30자 설정값은 100자까지 가능하며 'String'형식만 지원 합니다.",
    "1033": "kakaoOptions은 메시지가 ATA 나 CTA인 경우에만 사용가능합니다.", "1034": "imageId가 존재하지 않습니다.",
    "1041": "유효한 플러스 친구 값이 아닙니다.", "1042": "유효한 템플릿 아이디가 아닙니다.",
    "1043": "등록한 템플릿과 내용이 다릅니다.", "1058": "전송경로 없음", "1060": "차단된 수신번호",
    "1061": "사용자에 의해 수신거부 됨(080무료수신거부)", "1062": "발신번호 미등록", "1064": "KISA 신고로 인한 차단",
    "2011": "Format Error", "2024": "서버 오류", "2060": "차단된 수신번호",
    "2061": "사용자에 의해 수신거부 됨(080무료수신거부)", "2062": "발신번호 미등록", "2063": "차단된 계정",
    "2064": "KISA 신고로 인한 차단", "2230": "잔액 부족", "2254": "플랫폼 내부 스팸처리",
    "3010": "수신번호 형식 오류", "3011": "Format Error", "3012": "연동처 서버 오류",
    "3013": "발신번호 형식 오류(세칙 위반)", "3014": "알 수 없는 메시지 상태", "3024": "서버 오류",
    "3031": "전송할 수 없음", "3032": "미가입자", "3040": "전송시간 초과", "3041": "단말기 busy", "3042": "음영지역",
    "3043": "단말기 Power off", "3044": "단말기 메시지 저장갯수 초과", "3045": "단말기 일시 서비스 정지",
    "3046": "기타 단말기 문제", "3047": "착신거절", "3048": "Unknown Code", "3050": "SMS서비스 불가 단말기",
    "3051": "착신측의 호불가 상태", "3052": "이통사 서버 운영자 삭제", "3053": "서버 메시지 Que Full", "3054": "SPAM",
    "3055": "SPAM, nospam.or.kr 에 등록된 번호", "3056": "전송실패(무선망단)", "3057": "전송실패(무선망->단말기단)",
    "3058": "전송경로 없음", "3059": "변작된 발신번호.", "3060": "성인 인증 실패",
    "3101": "발신 프로필 키가 유효하지 않음", "3102": "친구 관계가 아닌 경우", "3103": "메시지와 템플릿 불일치",
    "3104": "카카오톡 미사용자", "3105": "미등록 템플릿", "3106": "유효하지 않은 채널",
    "3107": "72시간 이내 카카오톡 미사용자, 알림톡 차단한 사용자",
    "3108": "메시지 발송 가능 시간이 아님(오전 8시 ~ 오후 8시 가능)",
}

# Request-level errorCodes by HTTP status, for fail_next() without a code. All but 429 are
# SOLAPI's [docs message-api-v4/undefined.md, undefined-1/undefined-4.md, undefined-6.md,
# cash-api/undefined-3.md]; 429 TooManyRequests is the fake's own (no source names one).
REQUEST_ERRORS = {400: "ValidationError", 402: "NotEnoughBalance", 403: "Forbidden", 404: "ResourceNotFound",
                  409: "GroupInProcessing", 413: "RecipientsTooMany", 429: "TooManyRequests"}
ERROR_MESSAGES = {
    # [docs api-key.md], the docs' descriptions of the codes
    "InvalidAPIKey": "유효한 API Key가 아님",
    "SignatureDoesNotMatch": "생성한 Signature가 일치하지 않음",
    "RequestTimeTooSkewed": "시간 값이 서버 시간을 15분 이상 벗어남",
    "DuplicatedSignature": "15분 안에 동일한 signature 값",
    # [docs message-api-v4/undefined.md, cash-api/undefined-3.md, undefined-1/undefined-4.md]
    "NotEnoughBalance": "보유 잔액이 부족합니다",
    "Forbidden": "잘못된 접근입니다",
    "RecipientsTooMany": "한 번에 추가할 수 있는 수신번호는 최대 10000건 입니다",
    # the fake's own wording (the docs give none)
    "ValidationError": "the request is not valid (fake SOLAPI)",
    "ResourceNotFound": "the resource does not exist (fake SOLAPI)",
    "GroupInProcessing": "the group is being processed (fake SOLAPI)",
    "TooManyRequests": "too many requests (fake SOLAPI; not a documented SOLAPI answer)",
}

_AUTH = re.compile(r"\s*(?P<method>HMAC-SHA256|HMAC-MD5)\s+(?P<params>.+?)\s*", re.IGNORECASE)
_ISO = re.compile(r"(?P<base>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<fraction>\d+))?"
                  r"(?P<zone>Z|z|[+-]\d{2}:?\d{2})?")
_KR_NUMBER = re.compile(r"^(0\d{8,10}|1[5-8]\d{6})$")
_ANY_NUMBER = re.compile(r"^\d{4,15}$")
_CAMEL = {"start_key": "startKey", "start_date": "startDate", "end_date": "endDate"}
_ID_CHARS = string.ascii_uppercase + string.digits


@dataclass
class Fault:
    kind: str  # "fail" (before processing), "fail_after", "delay", "hold"
    status: int = 500
    error_code: str = ""
    message: str = ""
    seconds: float = 0.0
    on: str = "send"  # "send", "list", "group", "balance" or "any"
    retry_after: int | None = None
    event: threading.Event = field(default_factory=threading.Event)  # release() sets it
    recorded: threading.Event = field(default_factory=threading.Event)  # set once a held send is recorded


@dataclass
class SendRequest:
    """One POST to send-many/detail as the server saw it (after authentication)."""

    at: float
    group_id: str
    message_ids: list[str]
    status: int


@dataclass
class ApiCall:
    """Any request to the SOLAPI endpoints, refused ones included."""

    at: float
    method: str
    path: str
    status: int
    error_code: str = ""


@dataclass
class DeliveryCall:
    retry_count: int
    status: int  # 0: no answer (the connection failed)
    body: Any


class Delivery(tuple):
    """(status, body) of the last webhook call; `.calls` has every call, first to last."""

    def __new__(cls, status: int, body: Any, calls: list[DeliveryCall]):
        self = super().__new__(cls, (status, body))
        self.calls = calls
        return self

    @property
    def status(self) -> int:
        return self[0]

    @property
    def body(self) -> Any:
        return self[1]


class FakeSolapi:
    def __init__(self, *, api_key: str = "fake-key", api_secret: str = "fake-secret", host: str = "127.0.0.1",
                 port: int = 0, senders: set[str] | None = None, templates: set[str] | None = None,
                 pf_ids: set[str] | None = None, clock_offset: float = 0.0, balance: float = 100000.0,
                 point: float = 0.0, retry_interval: float = 0.05):
        self.api_key, self.api_secret = api_key, api_secret
        self.senders = set(senders) if senders is not None else None  # None: every sender is registered
        self.templates = set(templates) if templates is not None else None  # None: every template id is
        self.pf_ids = set(pf_ids) if pf_ids is not None else None  # None: every pfId is
        self.clock_offset = clock_offset  # seconds added to this machine's clock
        self.balance, self.point = balance, point
        self.retry_interval = retry_interval  # seconds between webhook tries
        self.refuse: set[str] = set()  # blocked recipients: 1060
        self.opted_out: set[str] = set()  # 080 opt-outs: 1061
        self.messages: dict[str, dict] = {}  # messageId -> message, in arrival order
        self.groups: dict[str, dict] = {}
        self.requests: list[SendRequest] = []
        self.calls: list[ApiCall] = []
        self.faults: collections.deque[Fault] = collections.deque()
        self.held: list[Fault] = []
        self.lock = threading.RLock()
        self._registration: dict[str, str] = {}  # messageId -> statusCode at registration
        self._signatures: dict[str, float] = {}  # accepted signature -> when (fake clock)
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeSolapi":
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-solapi",
                                        daemon=True)
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

    def now(self) -> datetime:
        """The fake server's clock: this machine's, plus clock_offset seconds."""
        return datetime.fromtimestamp(time.time() + self.clock_offset, timezone.utc)

    # --- faults --------------------------------------------------------------------------

    def fail_next(self, status: int = 500, error_code: str = "", message: str = "", *, on: str = "send",
                  retry_after: int | None = None) -> None:
        """The next request (a send unless `on` says otherwise) is answered with this status
        before anything is recorded; 4xx with SOLAPI's code for the status unless given."""
        self.faults.append(Fault("fail", status=status, error_code=error_code, message=message, on=on,
                                 retry_after=retry_after))

    def fail_after_processing(self, status: int = 500, error_code: str = "", message: str = "") -> None:
        """The next send is recorded, then answered with this status."""
        self.faults.append(Fault("fail_after", status=status, error_code=error_code, message=message))

    def delay_next(self, seconds: float) -> None:
        """The next send is recorded, then answered after this many seconds."""
        self.faults.append(Fault("delay", seconds=seconds))

    def hold_next(self) -> threading.Event:
        """The next send is recorded and its answer held back until release(); the returned
        event is set once the messages are recorded."""
        fault = Fault("hold")
        self.faults.append(fault)
        return fault.recorded

    def release(self) -> None:
        """Lets every held answer go."""
        with self.lock:
            held, self.held = self.held, []
        for fault in held:
            fault.event.set()

    def reset(self) -> None:
        """Forgets messages, groups, requests, faults, refused numbers and used signatures
        (senders, templates, pf_ids, clock_offset and balance stay as set)."""
        self.release()
        with self.lock:
            self.messages.clear()
            self.groups.clear()
            self.requests.clear()
            self.calls.clear()
            self.faults.clear()
            self.refuse.clear()
            self.opted_out.clear()
            self._registration.clear()
            self._signatures.clear()

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.on in (endpoint, "any"):
                    self.faults.remove(fault)
                    return fault
        return None

    # --- what the tests read ------------------------------------------------------------

    def accepted(self) -> list[dict]:
        """Messages SOLAPI took (2000 at registration), whatever was reported since."""
        with self.lock:
            return [m for i, m in self.messages.items() if self._registration.get(i) == "2000"]

    def count_by_recipient(self) -> dict[str, int]:
        """How many accepted messages each number got: the "sent exactly once" check."""
        return dict(collections.Counter(m["to"] for m in self.accepted()))

    # --- authentication ------------------------------------------------------------------

    def authenticate(self, header: str | None) -> tuple[int, dict] | None:
        """None if the Authorization header passes, else SOLAPI's (403, error body)."""
        match = _AUTH.fullmatch(header or "")
        params: dict[str, str] = {}
        if match:
            for part in match["params"].split(","):
                name, _, value = part.strip().partition("=")
                params[name.strip().lower()] = value.strip()
        if not match or not all(params.get(k) for k in ("apikey", "date", "salt", "signature")):
            return _error(403, "InvalidAPIKey", "Authorization: HMAC-SHA256 apiKey=, date=, salt=, signature=")
        if params["apikey"] != self.api_key:
            return _error(403, "InvalidAPIKey")
        salt = params["salt"]
        if not 12 <= len(salt) <= 64:
            return _error(403, "SignatureDoesNotMatch", "salt must be 12 to 64 characters (fake SOLAPI)")
        digest = hashlib.sha256 if match["method"].upper() == "HMAC-SHA256" else hashlib.md5
        expected = hmac.new(self.api_secret.encode(), (params["date"] + salt).encode(), digest).hexdigest()
        signature = params["signature"].lower()
        if not hmac.compare_digest(expected, signature):
            return _error(403, "SignatureDoesNotMatch")
        date = _parse_date(params["date"])
        now = self.now()
        if date is None or abs(now - date) >= SKEW:
            return _error(403, "RequestTimeTooSkewed")
        with self.lock:
            horizon = now.timestamp() - SKEW.total_seconds()
            for used in [s for s, at in self._signatures.items() if at < horizon]:
                del self._signatures[used]
            if signature in self._signatures:
                return _error(403, "DuplicatedSignature")
            self._signatures[signature] = now.timestamp()
        return None

    def authorized(self, header: str | None) -> bool:
        """Whether the Authorization header passes (it is then used up: no replay)."""
        return self.authenticate(header) is None

    # --- sending -------------------------------------------------------------------------

    def send_many(self, body: dict, fault: Fault | None = None) -> tuple[int, dict]:
        if fault is not None and fault.kind == "fail":
            with self.lock:
                self.requests.append(SendRequest(time.time(), "", [], fault.status))
            return _fault_answer(fault)
        raw_messages = body.get("messages")
        if not isinstance(raw_messages, list) or not raw_messages:
            return _error(400, "ValidationError", "messages must be a non-empty list")
        expanded = []
        for raw in raw_messages:
            if not isinstance(raw, dict):
                return _error(400, "ValidationError", "each message is an object")
            targets = raw.get("to") if isinstance(raw.get("to"), list) else [raw.get("to")]
            expanded += [{**raw, "to": to} for to in targets]
        if len(expanded) > MAX_MESSAGES:
            return _error(413, "RecipientsTooMany")
        now = self.now()
        group_id = _new_id("G4V", now)
        allow_duplicates = bool(body.get("allowDuplicates", False))
        accepted, failed, seen = [], [], set()
        for raw in expanded:
            message = self._message(raw, group_id, now)
            code = self._refusal(raw, message, seen, allow_duplicates)
            seen.add(message["to"])
            if code:
                message["statusCode"], message["statusMessage"], message["status"] = code, STATUS_MESSAGES[code], \
                    "FAILED"
                failed.append(message)
            else:
                accepted.append(message)
        group = self._group(group_id, accepted, failed, now, allow_duplicates, body)
        answer_status = fault.status if fault is not None and fault.kind == "fail_after" else 200
        with self.lock:
            for message in accepted + failed:
                self.messages[message["messageId"]] = message
                self._registration[message["messageId"]] = message["statusCode"]
            self.groups[group_id] = group
            self.requests.append(SendRequest(time.time(), group_id, [m["messageId"] for m in accepted + failed],
                                             answer_status))
        if fault is not None and fault.kind == "fail_after":
            return _fault_answer(fault)
        answer = {"groupInfo": _copy(group), "failedMessageList": [_failed_item(m) for m in failed]}
        if body.get("showMessageList"):
            answer["messageList"] = [{"messageId": m["messageId"], "statusCode": m["statusCode"],
                                      "statusMessage": m["statusMessage"], "customFields": m["customFields"]}
                                     for m in accepted]
        return 200, answer

    def _message(self, raw: dict, group_id: str, now: datetime) -> dict:
        kakao = raw.get("kakaoOptions") if isinstance(raw.get("kakaoOptions"), dict) else None
        text = raw.get("text")
        kind = str(raw.get("type") or "").upper()
        if not kind and raw.get("autoTypeDetect", True):
            if raw.get("imageId"):
                kind = "MMS"
            elif kakao is not None:
                kind = "ATA" if kakao.get("templateId") else "CTA"
            else:
                kind = "LMS" if _euc_kr_bytes(text or "") > 90 else "SMS"
        stamp = _iso(now)
        message_id = _new_id("M4V", now)
        return {
            "_id": message_id, "messageId": message_id, "groupId": group_id, "accountId": ACCOUNT_ID,
            "type": kind or None, "country": str(raw.get("country") or "82"),
            "to": _digits(raw.get("to")), "from": _digits(raw.get("from")),
            "text": text, "subject": raw.get("subject"), "imageId": raw.get("imageId"),
            "kakaoOptions": kakao, "customFields": raw.get("customFields") or {},
            "autoTypeDetect": raw.get("autoTypeDetect", True), "replacement": False, "resendCount": 0,
            "statusCode": "2000", "statusMessage": STATUS_MESSAGES["2000"], "status": "PENDING",
            "dateProcessed": None, "dateReported": None, "dateReceived": None,
            "networkCode": None, "networkName": None, "reason": None, "log": [],
            "dateCreated": stamp, "dateUpdated": stamp,
        }

    def _refusal(self, raw: dict, message: dict, seen: set, allow_duplicates: bool) -> str | None:
        kind, to, sender, text = message["type"], message["to"], message["from"], message["text"] or ""
        kakao = message["kakaoOptions"]
        if kind not in MESSAGE_TYPES:
            message["type"] = None
            return "1025"
        if not to or not sender:
            return "1010"
        if kind in ("SMS", "LMS", "ATA", "CTA") and not text.strip():
            return "1010"
        if kind == "MMS" and not text.strip() and not message["imageId"]:
            return "1010"
        if kind == "ATA" and not (kakao and kakao.get("pfId") and kakao.get("templateId")):
            return "1010"
        number = _KR_NUMBER if message["country"] == "82" else _ANY_NUMBER
        if not number.match(to) or not _KR_NUMBER.match(sender):
            return "1011"
        if self.senders is not None and sender not in {_digits(s) for s in self.senders}:
            return "1062"
        if to in self.refuse:
            return "1060"
        if to in self.opted_out:
            return "1061"
        if to in seen and not allow_duplicates:
            return "1026"
        if message["subject"] and kind == "SMS":
            return "1013"
        if message["subject"] and _euc_kr_bytes(message["subject"]) > 40:
            return "1014"
        limits = {"SMS": ("bytes", 90), "LMS": ("bytes", 2000), "MMS": ("bytes", 2000), "ATA": ("chars", 1000),
                  "CTA": ("chars", 1000), "CTI": ("chars", 400)}
        if kind in limits:
            unit, most = limits[kind]
            if (_euc_kr_bytes(text) if unit == "bytes" else len(text)) > most:
                return "1031"
        if kakao is not None and kind not in ("ATA", "CTA"):
            return "1033"
        if kakao and self.pf_ids is not None and kakao.get("pfId") not in self.pf_ids:
            return "1041"
        if kakao and self.templates is not None and kakao.get("templateId") not in self.templates:
            return "1042"
        fields = raw.get("customFields")
        if fields is not None and (not isinstance(fields, dict) or any(
                len(str(k)) > 30 or not isinstance(v, str) or len(v) > 100 for k, v in fields.items())):
            return "1032"
        return None

    def _group(self, group_id: str, accepted: list, failed: list, now: datetime, allow_duplicates: bool,
               body: dict) -> dict:
        zero = {"requested": 0, "replacement": 0, "refund": 0, "sum": 0}
        charge: dict[str, dict[str, int]] = {t: {} for t in ("sms", "lms", "mms", "ata", "cta", "cti")}
        for m in accepted:
            bucket = charge.setdefault(m["type"].lower(), {})
            bucket[m["country"]] = bucket.get(m["country"], 0) + 1
        stamp = _iso(now)
        return {
            "_id": group_id, "groupId": group_id,
            "count": {"total": len(accepted) + len(failed), "sentTotal": 0, "sentFailed": 0, "sentSuccess": 0,
                      "sentPending": len(accepted), "sentReplacement": 0, "refund": 0,
                      "registeredFailed": len(failed), "registeredSuccess": len(accepted)},
            "countForCharge": charge, "balance": dict(zero), "point": dict(zero),
            "app": {"profit": {t: 0 for t in charge}, "appId": body.get("appId"), "version": None},
            "serviceMethod": "MT",
            "sdkVersion": (body.get("agent") or {}).get("sdkVersion"),
            "osPlatform": (body.get("agent") or {}).get("osPlatform"),
            "log": [{"createAt": stamp, "message": "메시지 그룹이 생성되었습니다."}],
            "status": "SENDING" if accepted else "FAILED",
            "dateSent": stamp if accepted else None, "dateCompleted": None,
            "scheduledDate": body.get("scheduledDate"),
            "isRefunded": False, "masterAccountId": None, "allowDuplicates": allow_duplicates,
            "accountId": ACCOUNT_ID, "apiVersion": "4", "customFields": {}, "price": {},
            "dateCreated": stamp, "dateUpdated": stamp,
        }

    # --- reading -------------------------------------------------------------------------

    def list_messages(self, query: dict[str, str]) -> dict:
        date_field = "dateUpdated" if (query.get("dateType") or "").upper() == "UPDATED" else "dateCreated"
        start, end = _parse_date(query.get("startDate")), _parse_date(query.get("endDate"))
        filters = {k: query[k] for k in ("messageId", "groupId", "type", "statusCode") if query.get(k)}
        filters.update({k: _digits(query[k]) for k in ("from", "to") if query.get(k)})
        ids = _id_list(query.get("messageIds"))
        conditions = _conditions(query)
        with self.lock:
            rows = [_copy(m) for m in self.messages.values()]
        selected = []
        for message in rows:
            if any(str(message.get(k)) != v for k, v in filters.items()):
                continue
            if ids is not None and message["messageId"] not in ids:
                continue
            if not all(_holds(message.get(name), cond, value) for name, cond, value in conditions):
                continue
            moment = _parse_date(message[date_field])
            if (start and moment < start) or (end and moment > end):
                continue
            selected.append(message)
        return _page(selected, "messageId", query, "messageList")

    def list_groups(self, query: dict[str, str]) -> dict:
        # [py] message_service.get_groups dumps its query without by_alias: start_key, start_date
        query = {_CAMEL.get(k, k): v for k, v in query.items()}
        start, end = _parse_date(query.get("startDate")), _parse_date(query.get("endDate"))
        conditions = _conditions(query)
        with self.lock:
            rows = [_copy(g) for g in self.groups.values()]
        selected = [g for g in rows if all(_holds(g.get(n), c, v) for n, c, v in conditions)
                    and not (start and _parse_date(g["dateCreated"]) < start)
                    and not (end and _parse_date(g["dateCreated"]) > end)]
        return _page(selected, "groupId", query, "groupList")

    def balance_answer(self) -> dict:
        # [docs api-reference/cash/getbalance.md] sample, with the fake's balance and point
        return {"lowBalanceAlert": {"notificationBalance": "0", "currentBalance": None, "balances": [],
                                    "channels": [], "enabled": False},
                "point": self.point, "minimumCash": 0, "rechargeTo": 0, "rechargeTryCount": 0, "autoRecharge": 0,
                "accountId": ACCOUNT_ID, "balance": self.balance}

    # --- delivery reports ----------------------------------------------------------------

    def report_payload(self, message_ids: list[str] | None = None, status: str = "4000", status_message: str = "",
                       *, statuses: dict[str, str] | None = None, shape: str = "envelope",
                       retry_count: int = 0) -> list[dict]:
        """The body SOLAPI would post for these accepted messages (default: every accepted
        one): `status` for each, or statuses[messageId] where given."""
        if shape not in ("envelope", "flat"):
            raise ValueError(f"shape is 'envelope' or 'flat', not {shape!r}")
        if isinstance(message_ids, str):
            raise TypeError("message_ids is a list of messageIds")
        statuses = statuses or {}
        wanted = list(message_ids) if message_ids is not None else list(statuses) or None
        with self.lock:
            chosen = [_copy(m) for i, m in self.messages.items() if self._registration.get(i) == "2000"
                      and (wanted is None or i in wanted)]
        stamp = _iso(self.now())
        items = []
        for m in chosen:
            code = str(statuses.get(m["messageId"], status))
            text = status_message or STATUS_MESSAGES.get(code, "")
            if shape == "flat":
                m.update(statusCode=code, statusMessage=text, status="COMPLETE", dateProcessed=stamp,
                         dateReported=stamp, dateReceived=stamp, dateUpdated=stamp)
                items.append(m)
                continue
            data = {"messageId": m["messageId"], "groupId": m["groupId"], "type": m["type"], "to": m["to"],
                    "from": m["from"], "statusCode": code, "statusMessage": text, "dateProcessed": stamp,
                    "dateReported": stamp, "dateReceived": stamp, "networkCode": None,
                    "customFields": m["customFields"]}
            if m["type"] in ("ATA", "CTA") and m["kakaoOptions"]:
                data["kakaoOptions"] = m["kakaoOptions"]
            items.append({"eventDataId": uuid.uuid4().hex, "retryCount": retry_count, "data": data})
        return items

    def deliver(self, url: str, message_ids: list[str] | None = None, status: str = "4000", *,
                statuses: dict[str, str] | None = None, shape: str = "envelope", payload: list | None = None,
                attempts: int = REPORT_ATTEMPTS, interval: float | None = None,
                timeout: float = 10.0) -> Delivery:
        """POSTs delivery reports to a webhook as SOLAPI does (a JSON array, no signature),
        again until it answers 200, `attempts` calls at most; the fake's messages take the
        reported statuses. Returns the last (status, body), with `.calls` for every call."""
        if isinstance(message_ids, str):
            raise TypeError("deliver(url, message_ids=None, status='4000', ...): SOLAPI signs no report, so "
                            "there is no secret argument any more")
        items = payload if payload is not None else self.report_payload(message_ids, status, statuses=statuses,
                                                                        shape=shape)
        self._apply_reports(items)
        interval = self.retry_interval if interval is None else interval
        calls: list[DeliveryCall] = []
        answer_status, answer = 0, None
        for retry in range(max(1, attempts)):
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("data"), dict):
                    item["retryCount"] = retry
            answer_status, answer = _post_json(url, items, timeout)
            calls.append(DeliveryCall(retry, answer_status, answer))
            if answer_status == 200:
                break
            if retry + 1 < attempts:
                time.sleep(interval)
        return Delivery(answer_status, answer, calls)

    def _apply_reports(self, items: list) -> None:
        with self.lock:
            for item in items:
                if not isinstance(item, dict):
                    continue
                data = item["data"] if isinstance(item.get("data"), dict) else item
                message = self.messages.get(str(data.get("messageId") or ""))
                code = str(data.get("statusCode") or "")
                if message is None or not code or self._registration.get(message["messageId"]) != "2000":
                    continue
                before = message["statusCode"]
                message.update(statusCode=code, statusMessage=data.get("statusMessage") or STATUS_MESSAGES.get(code),
                               status="COMPLETE", dateUpdated=data.get("dateReported") or _iso(self.now()))
                for name in ("dateProcessed", "dateReported", "dateReceived", "networkCode"):
                    if data.get(name) is not None:
                        message[name] = data[name]
                group = self.groups.get(message["groupId"])
                if group is None:
                    continue
                count = group["count"]
                if before in ("2000", "3000"):
                    count["sentPending"] -= 1
                elif before == "4000":
                    count["sentSuccess"] -= 1
                else:
                    count["sentFailed"] -= 1
                if code in ("2000", "3000"):
                    count["sentPending"] += 1
                elif code == "4000":
                    count["sentSuccess"] += 1
                else:
                    count["sentFailed"] += 1
                count["sentTotal"] = count["sentSuccess"] + count["sentFailed"]
                group["dateUpdated"] = message["dateUpdated"]
                if count["sentPending"] == 0:
                    group["status"], group["dateCompleted"] = "COMPLETE", message["dateUpdated"]


def authorization_header(api_key: str, api_secret: str, *, date: str | None = None, salt: str | None = None,
                         capitalised: bool = False) -> str:
    """An Authorization header as the SDKs build it (node/go/php key names, or the Python
    SDK's `ApiKey=`/`Date=` with capitalised=True)."""
    date = date or datetime.now(timezone.utc).astimezone().isoformat()
    salt = salt or secrets.token_hex(16)
    signature = hmac.new(api_secret.encode(), (date + salt).encode(), hashlib.sha256).hexdigest()
    key, when = ("ApiKey", "Date") if capitalised else ("apiKey", "date")
    return f"HMAC-SHA256 {key}={api_key}, {when}={date}, salt={salt}, signature={signature}"


def _error(status: int, code: str, message: str = "") -> tuple[int, dict]:
    return status, {"errorCode": code, "errorMessage": message or ERROR_MESSAGES.get(code, code)}


def _fault_answer(fault: Fault) -> tuple[int, dict]:
    if fault.status >= 500 and not fault.error_code:
        answer = {"raw": fault.message or http.client.responses.get(fault.status, "Server Error")}
    else:
        code = fault.error_code or REQUEST_ERRORS.get(fault.status, "UnknownError")
        answer = dict(_error(fault.status, code, fault.message)[1])
    if fault.retry_after is not None:
        answer["_headers"] = {"Retry-After": str(fault.retry_after)}
    return fault.status, answer


def _failed_item(message: dict) -> dict:
    return {"to": message["to"], "from": message["from"], "type": message["type"] or "",
            "statusMessage": message["statusMessage"], "country": message["country"],
            "messageId": message["messageId"], "statusCode": message["statusCode"], "accountId": ACCOUNT_ID,
            "customFields": message["customFields"]}


def _page(rows: list[dict], key: str, query: dict[str, str], list_name: str) -> dict:
    try:
        limit = max(1, int(query.get("limit") or 20))
    except ValueError:
        limit = 20
    start_key = query.get("startKey") or None
    if start_key:
        keys = [r[key] for r in rows]
        rows = rows[keys.index(start_key):] if start_key in keys else []
    page, rest = rows[:limit], rows[limit:]
    return {"startKey": start_key, "nextKey": rest[0][key] if rest else None, "limit": limit,
            list_name: {r[key]: r for r in page}}


def _conditions(query: dict[str, str]) -> list[tuple[str, str, str]]:
    """[docs api-reference/messages/getMessageList.md] criteria/cond/value, comma-separated."""
    if not query.get("criteria"):
        return []
    names = query["criteria"].split(",")
    conds = (query.get("cond") or "").split(",")
    values = (query.get("value") or "").split(",")
    return [(n.strip(), (conds[i] if i < len(conds) else "eq").strip() or "eq",
             (values[i] if i < len(values) else "").strip()) for i, n in enumerate(names)]


def _holds(actual: Any, cond: str, value: str) -> bool:
    actual = "" if actual is None else str(actual)
    return {"eq": actual == value, "ne": actual != value, "gt": actual > value, "gte": actual >= value,
            "lt": actual < value, "lte": actual <= value, "like": value in actual,
            "in": actual in value.split("|")}.get(cond, False)


def _id_list(value: str | None) -> set[str] | None:
    if not value:
        return None
    if value.startswith("["):  # [py] urlencodes a list as its repr
        try:
            return {str(v) for v in ast.literal_eval(value)}
        except (ValueError, SyntaxError):
            pass
    return {v.strip() for v in value.strip("[]").split(",") if v.strip()}


def _new_id(prefix: str, now: datetime) -> str:
    return prefix + now.astimezone(KST).strftime("%Y%m%d%H%M%S") + "".join(secrets.choice(_ID_CHARS)
                                                                           for _ in range(15))


def _digits(value: Any) -> str:
    return str(value or "").replace("-", "").strip()


def _euc_kr_bytes(text: str) -> int:
    total = 0
    for char in text:
        try:
            total += len(char.encode("euc-kr"))
        except UnicodeEncodeError:
            total += 2
    return total


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_date(value: str | None) -> datetime | None:
    """ISO 8601 with an offset or Z, any fraction; without an offset, UTC."""
    if not value:
        return None
    match = _ISO.fullmatch(value.strip())
    if not match:
        return None
    base = match["base"].replace(" ", "T")
    if len(base) == 16:
        base += ":00"
    fraction = (match["fraction"] or "0")[:6].ljust(6, "0")
    zone = match["zone"] or "+00:00"
    zone = "+00:00" if zone in ("Z", "z") else (zone if ":" in zone else zone[:3] + ":" + zone[3:])
    try:
        return datetime.fromisoformat(f"{base}.{fraction}{zone}")
    except ValueError:
        return None


def _post_json(url: str, items: list, timeout: float) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(items, ensure_ascii=False).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _decoded(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _decoded(exc.read())
    except OSError as exc:  # refused, reset, timed out: no answer
        return 0, {"error": f"{type(exc).__name__}: {exc}"}


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {"raw": raw.decode(errors="replace")}


def _handler_for(fake: FakeSolapi):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return json.loads(raw or b"{}")

        def _answer(self, status: int, payload: Any) -> None:
            headers = payload.pop("_headers", {}) if isinstance(payload, dict) else {}
            if isinstance(payload, dict) and "raw" in payload and status >= 500:
                data, kind = payload["raw"].encode(), "text/plain; charset=utf-8"
            else:
                data, kind = json.dumps(payload, ensure_ascii=False).encode(), "application/json; charset=utf-8"
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client is gone (killed, or timed out)
                pass

        def _api(self, method: str, path: str, status: int, payload: Any) -> None:
            code = payload.get("errorCode", "") if isinstance(payload, dict) else ""
            with fake.lock:
                fake.calls.append(ApiCall(time.time(), method, path, status, code))
            self._answer(status, payload)

        def _route(self, method: str, path: str) -> str | None:
            if method == "POST" and path == "/messages/v4/send-many/detail":
                return "send"
            if method == "GET" and path in ("/messages/v4/list-old", "/messages/v4/list"):
                return "list"
            if method == "GET" and re.fullmatch(r"/messages/v4/groups(/[^/]+(/messages)?)?", path):
                return "group"
            if method == "GET" and path == "/cash/v1/balance":
                return "balance"
            return None

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/_fake/messages":
                with fake.lock:
                    requests = [vars(r) for r in fake.requests]
                    messages = [_copy(m) for m in fake.messages.values()]
                return self._answer(200, {"messages": messages, "count_by_recipient": fake.count_by_recipient(),
                                          "requests": requests})
            self._serve("GET", url)

        def do_POST(self):
            url = urlsplit(self.path)
            try:
                body = self._body()
            except ValueError:
                if url.path.startswith("/_fake/"):
                    return self._answer(400, {"error": "the body is not JSON"})
                return self._api("POST", url.path, *_error(400, "ValidationError", "the body is not JSON"))
            if url.path.startswith("/_fake/"):
                return self._control(url.path, body if isinstance(body, dict) else {})
            self._serve("POST", url, body)

        def do_DELETE(self):
            self._serve("DELETE", urlsplit(self.path))

        def _serve(self, method: str, url, body: Any = None) -> None:
            path = url.path
            refused = fake.authenticate(self.headers.get("Authorization"))
            if refused is not None:
                return self._api(method, path, *refused)
            endpoint = self._route(method, path)
            if endpoint is None:
                return self._api(method, path, *_error(404, "ResourceNotFound", f"{method} {path}"))
            fault = fake._take_fault(endpoint)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if endpoint == "send":
                status, payload = fake.send_many(body if isinstance(body, dict) else {}, fault)
            elif fault is not None and fault.kind == "fail":
                status, payload = _fault_answer(fault)
            elif endpoint == "list":
                status, payload = 200, fake.list_messages(query)
            elif endpoint == "balance":
                status, payload = 200, fake.balance_answer()
            else:
                status, payload = self._group(path, query)
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault is not None and fault.kind == "hold":
                with fake.lock:
                    fake.held.append(fault)
                fault.recorded.set()
                fault.event.wait(300)
            elif fault is not None and fault.kind == "fail_after" and endpoint != "send":
                status, payload = _fault_answer(fault)
            self._api(method, path, status, payload)

        def _group(self, path: str, query: dict[str, str]) -> tuple[int, dict]:
            match = re.fullmatch(r"/messages/v4/groups(?:/([^/]+)(/messages)?)?", path)
            if not match.group(1):
                return 200, fake.list_groups(query)
            with fake.lock:
                group = _copy(fake.groups.get(match.group(1)))
            if group is None:
                return _error(404, "ResourceNotFound", f"group {match.group(1)}")
            if match.group(2):
                return 200, fake.list_messages({"startKey": query.get("startKey", ""),
                                                "limit": query.get("limit", ""), "groupId": match.group(1)})
            return 200, group

        def _control(self, path: str, body: dict):
            if path == "/_fake/reset":
                fake.reset()
            elif path == "/_fake/release":
                fake.release()
            elif path == "/_fake/faults":
                kind = body.get("fault")
                status = int(body.get("status", 500))
                if kind == "fail":
                    fake.fail_next(status, body.get("error_code", ""), body.get("message", ""),
                                   on=body.get("on", "send"), retry_after=body.get("retry_after"))
                elif kind == "fail_after":
                    fake.fail_after_processing(status, body.get("error_code", ""), body.get("message", ""))
                elif kind == "delay":
                    fake.delay_next(float(body.get("seconds", 6)))
                elif kind == "hold":
                    fake.hold_next()
                else:
                    return self._answer(400, {"error": f"unknown fault {kind!r}"})
            elif path == "/_fake/refuse":
                fake.refuse.update(_digits(n) for n in body.get("numbers", []))
            elif path == "/_fake/config":
                for name in ("senders", "templates", "pf_ids"):
                    if name in body:
                        setattr(fake, name, None if body[name] is None else set(body[name]))
                for name in ("clock_offset", "balance", "point", "retry_interval"):
                    if name in body:
                        setattr(fake, name, float(body[name]))
            elif path == "/_fake/deliver":
                if "secret" in body:
                    return self._answer(400, {"error": "SOLAPI signs no delivery report: drop 'secret'"})
                if not body.get("url"):
                    return self._answer(400, {"error": "'url' is required"})
                try:
                    result = fake.deliver(body["url"], body.get("message_ids"), str(body.get("status", "4000")),
                                          statuses=body.get("statuses"), shape=body.get("shape", "envelope"),
                                          attempts=int(body.get("attempts", REPORT_ATTEMPTS)),
                                          interval=body.get("interval"))
                except (TypeError, ValueError) as exc:
                    return self._answer(400, {"error": str(exc)})
                return self._answer(200, {"webhook_status": result.status, "webhook_answer": result.body,
                                          "calls": [{"retryCount": c.retry_count, "status": c.status,
                                                     "body": c.body} for c in result.calls]})
            else:
                return self._answer(404, {"error": path})
            return self._answer(200, {"ok": True})

    return Handler


@pytest.fixture
def fake_solapi():
    with FakeSolapi() as server:
        yield server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="A local SOLAPI stand-in: its send, list, group and balance API with SOLAPI's "
                    "HMAC-SHA256 authentication, and delivery reports on demand (POST /_fake/deliver). "
                    "See the module docstring of tools/testing/fake_solapi.py.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--api-key", default="fake-key")
    parser.add_argument("--api-secret", default="fake-secret")
    parser.add_argument("--sender", action="append", dest="senders", metavar="NUMBER",
                        help="a registered sender number (repeatable); without any, every sender is accepted")
    parser.add_argument("--clock-offset", type=float, default=0.0, metavar="SECONDS",
                        help="the fake's clock minus this machine's")
    args = parser.parse_args(argv)
    server = FakeSolapi(api_key=args.api_key, api_secret=args.api_secret, host=args.host, port=args.port,
                        senders=set(args.senders) if args.senders else None, clock_offset=args.clock_offset)
    print(f"fake SOLAPI on {server.base_url} (key {args.api_key!r}, secret {args.api_secret!r}); "
          f"SOLAPI_BASE_URL={server.base_url}", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
