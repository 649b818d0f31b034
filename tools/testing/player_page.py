"""The player page (/play/{token}) in a browser, as a viewer has it: what the browser tests
and the demo read of it.

    page = PlayerPage(browser)                 # a tools.testing.webdriver.Session
    page.open(session["player_url"])
    page.play_past(5.0)                        # until currentTime passes 5 s (TimeoutError)
    page.state()                               # {"currentTime", "paused", "sent", "lastStatus", ...}
    page.watermark()                           # the watermark's text
    Path("player.png").write_bytes(page.screenshot())

It reads window.academyPlayer, which the page's script keeps for this (player.js).
"""

from tools.testing.waiting import wait_until
from tools.testing.webdriver import Session

_STATE = """
const p = window.academyPlayer;
if (!p) { return null; }
const v = p.video;
return {currentTime: v.currentTime, paused: v.paused, ended: v.ended, readyState: v.readyState,
        mediaError: v.error && v.error.message, sent: p.sent, stopped: p.stopped,
        lastStatus: p.lastResponse && p.lastResponse.status, lastBody: p.lastResponse && p.lastResponse.body,
        status: document.getElementById('player-status').textContent};
"""


class PlayerPage:
    def __init__(self, browser: Session):
        self.browser = browser

    def open(self, url: str) -> None:
        self.browser.get(url)

    def state(self) -> dict | None:
        return self.browser.execute(_STATE)

    def play_past(self, seconds: float, timeout: float = 60) -> dict:
        def past():
            state = self.state()
            if state and state["mediaError"]:
                raise AssertionError(f"the video failed: {state['mediaError']}")
            return state if state and state["currentTime"] > seconds else None

        return wait_until(past, timeout, f"playback past {seconds} s", 0.25)

    def wait_for_heartbeats(self, count: int, timeout: float = 30) -> dict:
        return wait_until(lambda: (s := self.state()) and s["sent"] >= count and s, timeout,
                          f"{count} accepted heartbeats", 0.25)

    def watermark(self) -> str:
        return self.browser.find("#player-watermark").text

    def watermark_position(self) -> tuple[float, float]:
        box = self.browser.execute("const r = document.getElementById('player-watermark').getBoundingClientRect();"
                                   "return [r.left, r.top];")
        return box[0], box[1]

    def status(self) -> str:
        return self.browser.find("#player-status").text

    def screenshot(self) -> bytes:
        return self.browser.screenshot()
