"""The Swagger UI page (drf-yasg's, Swagger UI 5) as a user drives it, by the DOM it renders."""

import json
from dataclasses import dataclass

from tools.testing.waiting import wait_until
from tools.testing.webdriver import CSS, XPATH, Element, Session

TIMEOUT = 15


@dataclass(frozen=True)
class Asset:
    url: str
    status: int  # 0 when the request failed before a response


@dataclass(frozen=True)
class LiveResponse:
    status: int
    body: str

    def json(self):
        return json.loads(self.body)


class SwaggerPage:
    def __init__(self, driver: Session, base_url: str):
        self.driver = driver
        self.base_url = base_url

    def open(self) -> None:
        """Loads /swagger/ afresh (which also forgets any authorization); returns after the
        load event, when every script and stylesheet has loaded or failed."""
        self.driver.get(self.base_url + "/swagger/")

    def assets(self) -> list[Asset]:
        entries = self.driver.execute(
            "return performance.getEntriesByType('resource').map(e => [e.name, e.responseStatus])")
        return [Asset(url, status) for url, status in entries]

    def console_errors(self) -> list[str]:
        """Errors logged since the last call (failed loads show here as well)."""
        return [entry["message"] for entry in self.driver.browser_log() if entry["level"] == "SEVERE"]

    def wait_for_operations(self) -> None:
        _wait_for(self.driver, "#swagger-ui .opblock", "Swagger UI to render operations")

    def title(self) -> str:
        return self.driver.find("#swagger-ui .information-container .title").text

    def base_url_shown(self) -> str:
        return self.driver.find("#swagger-ui .information-container .base-url").text

    def operation_paths(self) -> set[str]:
        return {element.attribute("data-path")
                for element in self.driver.find_all("#swagger-ui .opblock-summary-path")}

    def authorize(self, scheme: str, value: str) -> str:
        """Fills the scheme's field in the Authorize dialog, applies it and closes the dialog;
        returns the help text the dialog showed for the scheme."""
        self.driver.find("#swagger-ui .auth-wrapper button.authorize").click()
        dialog = _wait_for(self.driver, ".dialog-ux .modal-ux", "the Authorize dialog")
        section = dialog.find(f".//form[.//h4/code[text()='{scheme}']]", XPATH)
        help_text = section.find(".markdown").text
        section.find("input").send_keys(value)
        section.find("button.authorize").click()
        # Applied credentials turn the Authorize button into Logout.
        _wait_for(section, ".//button[text()='Logout']", f"the Authorize dialog to accept the {scheme} value",
                  XPATH)
        section.find("button.btn-done").click()
        wait_until(lambda: not self.driver.find_all(".dialog-ux"), TIMEOUT, "the dialog to close")
        return help_text

    def is_locked(self) -> bool:
        """Whether the page's Authorize button shows a closed lock (credentials applied)."""
        button = self.driver.find("#swagger-ui .auth-wrapper button.authorize")
        return "locked" in button.attribute("class").split()

    def try_it_out(self, operation_id: str) -> LiveResponse:
        """Expands the operation, presses "Try it out" and "Execute", and returns the response
        the page shows (for an operation without required parameters)."""
        operation = self._expanded(operation_id)
        try_out = operation.find_all("button.try-out__btn")
        if try_out and try_out[0].text == "Try it out":
            try_out[0].click()
        for clear in operation.find_all("button.btn-clear"):
            clear.click()  # so the wait below cannot read the previous response
        _wait_for(operation, "button.execute", f"the Execute button of {operation_id}").click()
        row = _wait_for(operation, ".live-responses-table tr.response", f"a response shown for {operation_id}")
        status = row.find(".response-col_status").text.split()[0]
        body = row.find(".response-col_description .highlight-code code").text
        return LiveResponse(status=int(status), body=body)

    def _expanded(self, operation_id: str) -> Element:
        operation = self.driver.find(f'[id="operations-{operation_id}"]')
        if "is-open" not in operation.attribute("class").split():
            operation.find(".opblock-summary-control").click()
            _wait_for(operation, ".opblock-body", f"{operation_id} to expand")
        return operation


def _wait_for(node: Session | Element, selector: str, what: str, using: str = CSS) -> Element:
    """The first element under node that matches, once there is one."""
    return wait_until(lambda: node.find_all(selector, using), TIMEOUT, what)[0]
