"""A browser of the web console over real HTTP: cookies kept, CSRF tokens read from pages."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from types import TracebackType

import httpx

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_CSP = "Content-Security-Policy"


def csrf_of(page: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return unescape(found.group(1))


class ConsoleBrowser:
    """An httpx client that keeps the console's cookies and follows no redirect by itself
    (tests look at each one)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10, follow_redirects=False)

    def __enter__(self) -> ConsoleBrowser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.http.close()

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.http.get(path, params=params or None)

    def sign_in(self, name: str, password: str, next_path: str = "") -> httpx.Response:
        """Opens the sign-in page and sends its form; the answer (a 303 when it worked)."""
        page = self.get("/console/login")
        assert page.status_code in (200, 303), page.text
        if page.status_code == 303:  # signed in already
            return page
        form = {"username": name, "password": password, "next": next_path}
        return self.http.post("/console/login", data=form | {"csrf_token": csrf_of(page.text)})

    def post_form(self, page_path: str, action: str, data: dict[str, str]) -> httpx.Response:
        """Opens `page_path` and posts `data` to `action` with that page's CSRF token."""
        page = self.get(page_path)
        assert page.status_code == 200, (page.status_code, page.text[:500])
        return self.http.post(action, data=data | {"csrf_token": csrf_of(page.text)})

    def sign_out(self, page_path: str) -> httpx.Response:
        """Presses "Sign out" on `page_path`."""
        return self.post_form(page_path, "/console/logout", {})


def signed_in(base_url: str, name: str, password: str) -> ConsoleBrowser:
    """A ConsoleBrowser signed in as `name` (fails the test if that does not work)."""
    browser = ConsoleBrowser(base_url)
    answer = browser.sign_in(name, password)
    assert answer.status_code == 303, answer.text[:500]
    return browser


def strict_policy(response: httpx.Response) -> bool:
    """Whether a page forbids inline scripts: its CSP allows scripts from the server only."""
    policy = response.headers.get(_CSP, "")
    return "script-src 'self'" in policy and "unsafe-inline" not in policy


class _Tables(HTMLParser):
    """Collects the text of each cell of each row of the tables of a page, by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._table is not None and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The rows (header, body and footer) of the table with this id, as cell texts."""
    parser = _Tables()
    parser.feed(page)
    assert table_id in parser.tables, f"no table {table_id!r} on the page"
    return parser.tables[table_id]
