"""The console in a real browser: Debian's chromium, driven by Selenium, against a server on
loopback filled with demo territories. Sign in with the keyboard, read the team's ladder and
the lead funnel as drawn, wipe a device with a confirmation, and open every page of every
role at a laptop's and a tablet's size: no script error, no sideways scrolling, every chart
drawn, and a screenshot of each.

Screenshots go to a temporary folder; with FIELDBRIEF_CONSOLE_SCREENSHOTS=DIR (what `make
console-screenshots` sets) they are saved in DIR/WIDTHxHEIGHT/ for the README."""

from __future__ import annotations

import base64
import io
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def _why_not() -> str | None:
    absent = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if absent:
        return (
            f"{' and '.join(absent)} missing: Debian's chromium and chromium-driver could not "
            "be installed (make test installs them: apt-get install chromium chromium-driver)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[dev]' (make test does)"
    return None


if (_reason := _why_not()) is not None:
    pytest.skip(_reason, allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402
from sqlalchemy import select  # noqa: E402

from server.app import create_app  # noqa: E402
from server.auth import AuthService  # noqa: E402
from server.cli import main as server_cli  # noqa: E402
from server.console.team_data import Scope, team_figures  # noqa: E402
from server.events import website_host  # noqa: E402
from server.ingest import ApiKeys  # noqa: E402
from server.marketing import lead_feedback  # noqa: E402
from server.models import Record  # noqa: E402
from server.records import ScopedRecords  # noqa: E402
from server.store import ServerStore, database_url_for  # noqa: E402
from sync.protocol import VERSION_HEADER  # noqa: E402
from sync.seed import demo_records  # noqa: E402

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
MANAGER, MARKETING, ADMIN = "maya", "mark", "ada"
LAPTOP, TABLET = (1366, 768), (768, 1024)
SCREENSHOTS = "FIELDBRIEF_CONSOLE_SCREENSHOTS"
WAIT = 60  # seconds a page may take on a busy machine (a bound, not a pause)


class ShiftedClock:
    """The real clock, or as it was `back` ago: the demo's events and sign-ins are spread
    over the last two weeks by sending them through the real API at earlier times."""

    def __init__(self) -> None:
        self.back = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) - self.back


@dataclass
class Site:
    url: str
    store: ServerStore
    auth: AuthService
    api: httpx.Client


def _cli(database: str, *args: str, stdin: str = "") -> None:
    """A `fieldbrief-server` command, as an admin types it (the password on standard input)."""
    typed, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        assert server_cli(["--database-url", database, *args]) == 0, args
    finally:
        sys.stdin = typed


def _demo(
    store: ServerStore, clock: ShiftedClock, territory: str, rep: str, n: int, seed: int
) -> None:
    """The demo generator's territory, owned by `rep` (whose visit notes and ladder moves
    they are), as `fieldbrief-server demo` writes it."""
    with store.session() as session:
        records = ScopedRecords(session, frozenset({territory}), clock)
        for entity, record_id, fields in demo_records(
            n, seed, today=clock().date(), territory=territory, owner_rep=rep
        ):
            records.create(entity, record_id, territory, fields)


def _moves_down(store: ServerStore, clock: ShiftedClock, territory: str, count: int) -> None:
    """A few clients lost a rung this quarter (the demo only ever climbs)."""
    with store.session() as session:
        records = ScopedRecords(session, frozenset({territory}), clock)
        clients = session.scalars(
            select(Record)
            .where(
                Record.entity == "account",
                Record.territory == territory,
                Record.data["ladder_rung"].as_string() == "client",
            )
            .order_by(Record.id)
            .limit(count)
        ).all()
        for n, account in enumerate(clients):
            account.data = {**account.data, "ladder_rung": "customer"}
            records.save(account)
            moved = {
                "account_id": str(account.id),
                "from_rung": "client",
                "to_rung": "customer",
                "changed_at": (clock() - timedelta(days=n + 1)).isoformat(),
                "reason": "Volume halved after their reorganisation",
            }
            records.create("ladder_change", uuid.uuid4(), territory, moved)


def _holds(store: ServerStore, clock: ShiftedClock, territory: str, rep: str) -> None:
    """Reps asked marketing to leave a few of their contacts alone (the demo asks none)."""
    asked = (
        ("Winter webinar", "In contract talks; no mass mailings until they sign", 30),
        (None, "Asked us for a quiet quarter", 75),
        ("Pricing update", "New pricing goes to them in person", 12),
    )
    with store.session() as session:
        records = ScopedRecords(session, frozenset({territory}), clock)
        contacts = session.scalars(
            select(Record)
            .where(Record.entity == "contact", Record.territory == territory)
            .order_by(Record.id)
            .limit(len(asked))
        ).all()
        for contact, (campaign, reason, days) in zip(contacts, asked, strict=True):
            hold = {
                "account_id": contact.data["account_id"],
                "contact_id": str(contact.id),
                "campaign": campaign,
                "reason": reason,
                "expires_on": (clock().date() + timedelta(days=days)).isoformat(),
                "requested_by": rep,
            }
            records.create("contact_hold", uuid.uuid4(), territory, hold)


def laptop_sign_in(site: Site, user: str, version: str = "1.4.0") -> tuple[uuid.UUID, str]:
    """A rep signs in from a new laptop; its device id and access token."""
    device = uuid.uuid4()
    body = {"username": user, "password": PASSWORD, "client_id": str(device)}
    answer = site.api.post("/v1/auth/login", json=body, headers={VERSION_HEADER: version})
    assert answer.status_code == 200, answer.text
    return device, answer.json()["access_token"]


def _domains(store: ServerStore, territory: str, count: int) -> list[str]:
    with store.session() as session:
        sites = session.scalars(
            select(Record.data["website"].as_string())
            .where(Record.entity == "account", Record.territory == territory)
            .order_by(Record.id)
        ).all()
    hosts = [website_host(s or "") for s in sites]
    return [h for h in hosts if h][:count]


def _events(site: Site, clock: ShiftedClock) -> None:
    """Two weeks of events from three systems, a few of them for accounts not imported yet."""
    keys = ApiKeys(site.store, clock)
    hubspot, zendesk, stripe = (keys.add(name) for name in ("hubspot", "zendesk", "stripe"))
    domains = _domains(site.store, "north", 12) + _domains(site.store, "south", 8)
    for days_ago in range(13, -1, -1):
        clock.back = timedelta(days=days_ago, hours=2)
        occurred = (clock() - timedelta(hours=1)).isoformat()
        batch: list[tuple[str, str, dict[str, Any]]] = []
        for n in range(4 + (days_ago * 7) % 6):
            details = {"campaign": "Winter webinar" if n % 2 else "Pricing update"}
            batch.append((hubspot, "email_opened", details))
        if days_ago % 3 == 0:
            details = {"campaign": "Trade fair Hanover", "score": 60 + days_ago}
            batch.append((hubspot, "lead_handed_over", details))
        for n in range(1 + days_ago % 3):
            batch.append((zendesk, "ticket_opened", {"ticket": 5000 + days_ago * 10 + n}))
        if days_ago > 4:  # stripe's key is revoked four days ago
            batch.append((stripe, "invoice_paid", {"invoice": f"INV-{days_ago}", "amount": 1200}))
        for n, (key, kind, details) in enumerate(batch):
            domain = domains[(days_ago + n) % len(domains)]
            if kind == "email_opened" and n == 3 and days_ago % 4 == 0:
                domain = f"not-imported-{days_ago}.example"  # waits for its account
            event = {
                "event_id": f"{kind}-{days_ago}-{n}",
                "type": kind,
                "occurred_at": occurred,
                "domain": domain,
                "details": details,
            }
            answer = site.api.post(
                "/v1/ingest/events",
                json={"events": [event]},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["results"][0]["status"] != "rejected", answer.text
        if days_ago == 4:
            keys.revoke("stripe")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server on loopback with three demo territories (north: ana, south: ben, west:
    cleo), a manager of north and south, marketing, an admin, laptops, keys and events."""
    folder = tmp_path_factory.mktemp("console-site")
    database = database_url_for(folder)
    store = ServerStore.open(database)
    clock = ShiftedClock()
    auth = AuthService(store, clock)
    for territory in ("north", "south", "west"):
        _cli(database, "territory", "add", territory)
    for name, role, territories in (
        ("ana", "rep", ["north"]),
        ("ben", "rep", ["south"]),
        ("cleo", "rep", ["west"]),
        (MANAGER, "manager", ["north", "south"]),
        (MARKETING, "marketing", []),
        (ADMIN, "admin", []),
    ):
        given = [arg for t in territories for arg in ("--territory", t)]
        _cli(
            database,
            "user",
            "add",
            name,
            "--role",
            role,
            *given,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
    _demo(store, clock, "north", "ana", 220, 1)
    _demo(store, clock, "south", "ben", 140, 2)
    _demo(store, clock, "west", "cleo", 90, 3)
    _moves_down(store, clock, "north", 3)
    _moves_down(store, clock, "south", 1)
    _holds(store, clock, "north", "ana")
    from tests.helpers.live_server import serving

    with (
        serving(create_app(store, auth)) as url,
        httpx.Client(base_url=url, timeout=30) as api,
    ):
        running = Site(url, store, auth, api)
        for user, version, back in (
            ("cleo", "1.3.2", timedelta(days=12)),
            ("ana", "1.4.0", timedelta(days=5)),
            ("ben", "1.4.0", timedelta(days=3)),
            ("ana", "1.5.0", timedelta(hours=2)),
        ):
            clock.back = back
            laptop_sign_in(running, user, version)
        _events(running, clock)
        clock.back = timedelta()
        yield running
    store.close()


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Debian's chromium, headless, with a profile of its own; its console log kept."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1366,768",
        "--lang=en-GB",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: FIELDBRIEF_CONSOLE_SCREENSHOTS, else a temporary folder."""
    chosen = os.environ.get(SCREENSHOTS)
    return Path(chosen) if chosen else tmp_path_factory.mktemp("console-screenshots")


# -- driving the browser ------------------------------------------------------------------------


def view(chrome: WebDriver, size: tuple[int, int]) -> None:
    """The page's viewport, exactly (the window's frame differs between builds)."""
    width, height = size
    chrome.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def wait_for(chrome: WebDriver, condition: Any) -> Any:
    return WebDriverWait(chrome, WAIT).until(condition)


def path_of(chrome: WebDriver) -> str:
    url: str = chrome.execute_script("return location.pathname + location.search")
    return url


def signed_out(chrome: WebDriver, site: Site) -> None:
    chrome.get(f"{site.url}/console/login")
    chrome.delete_all_cookies()
    chrome.get_log("browser")  # drop what earlier pages said


def sign_in(chrome: WebDriver, site: Site, name: str, start: str = "/console/login") -> None:
    """Signs in with the form as a person would: click, type, click."""
    signed_out(chrome, site)
    chrome.get(site.url + start)
    chrome.find_element(By.ID, "username").send_keys(name)
    chrome.find_element(By.ID, "password").send_keys(PASSWORD)
    chrome.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    wait_for(chrome, lambda c: not path_of(c).startswith("/console/login"))


def open_page(chrome: WebDriver, site: Site, path: str) -> None:
    chrome.get(site.url + path)
    wait_for(chrome, expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))


def charts(chrome: WebDriver) -> dict[str, Any]:
    """Each chart on the page as Chart.js drew it: its labels and its datasets' numbers."""
    drawn: dict[str, Any] = chrome.execute_script(
        """
        const found = {};
        for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
          const chart = window.Chart && Chart.getChart(canvas);
          found[canvas.dataset.chart] = chart ? {
            labels: chart.data.labels,
            data: chart.data.datasets.map(d => d.data),
            names: chart.data.datasets.map(d => d.label),
            height: canvas.clientHeight,
          } : null;
        }
        return found;
        """
    )
    return drawn


def check_page(
    chrome: WebDriver, where: str, refused: bool = False, tables_fit: bool = True
) -> None:
    """What every page must be: a heading, no script or policy error in the console, every
    chart drawn, and nothing wider than the window (no sideways scrolling), its tables
    included unless not `tables_fit`. `refused`: the page itself is a 403, which the console
    notes (and nothing else may be there)."""
    assert chrome.find_elements(By.TAG_NAME, "h1"), where
    problems = [e["message"] for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
    if refused:
        own = f"{chrome.current_url} - Failed to load resource: the server responded with a "
        assert own + "status of 403 (Forbidden)" in problems, where
        problems = [p for p in problems if not p.startswith(own)]
    assert problems == [], where
    for name, chart in charts(chrome).items():
        assert chart is not None, f"{where}: chart {name} was not drawn"
        assert chart["height"] >= 150, f"{where}: chart {name} is squashed"
    wide = chrome.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide[0] <= wide[1], f"{where}: {wide[0]} px wide in a {wide[1]} px window"
    if tables_fit:
        assert scrolled_tables(chrome) == [], where


def scrolled_tables(chrome: WebDriver) -> list[Any]:
    """The tables on show that are wider than their box (read by scrolling sideways inside
    it); not those folded away in a closed <details>, such as a chart's numbers per day."""
    found: list[Any] = chrome.execute_script(
        """
        return Array.from(document.querySelectorAll('.table-wrap'))
          .filter(w => !w.closest('details:not([open])') && w.scrollWidth > w.clientWidth)
          .map(w => [w.firstElementChild.className, w.scrollWidth, w.clientWidth]);
        """
    )
    return found


def screenshot(chrome: WebDriver, folder: Path, size: tuple[int, int], name: str) -> Path:
    """The whole page (not only the window), as a PNG in folder/WIDTHxHEIGHT/."""
    height = chrome.execute_script("return document.documentElement.scrollHeight")
    width = size[0]
    shot = chrome.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": max(height, size[1]), "scale": 1},
        },
    )
    target = folder / f"{width}x{size[1]}" / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(shot["data"]))
    return target


# -- the tests ------------------------------------------------------------------------------------


def test_a_manager_signs_in_with_the_keyboard_and_reads_the_team_and_its_ladder(
    chrome: WebDriver, site: Site
) -> None:
    view(chrome, LAPTOP)
    signed_out(chrome, site)
    chrome.get(f"{site.url}/console/team")
    assert path_of(chrome) == "/console/login?next=/console/team"
    # The name field has the focus; Tab to the password, Enter sends the form.
    ActionChains(chrome).send_keys(MANAGER, Keys.TAB, PASSWORD, Keys.ENTER).perform()
    wait_for(chrome, lambda c: path_of(c) == "/console/team")
    check_page(chrome, "team")
    reps = [e.text.split() for e in chrome.find_elements(By.CSS_SELECTOR, "table.reps tbody th")]
    assert reps == [["ana", "north"], ["ben", "south"]]  # not cleo: west is not maya's
    with site.store.session() as session:
        team = team_figures(session, Scope(frozenset({"north", "south"})), site.auth.clock())
    drawn = charts(chrome)
    assert drawn["ladder-accounts"]["labels"][0] == "Prospect"
    assert drawn["ladder-accounts"]["data"] == [[r.accounts for r in team.ladder]]
    assert drawn["ladder-moves"]["data"] == [
        [r.moved_up for r in team.ladder],
        [r.moved_down for r in team.ladder],
    ]
    assert sum(drawn["ladder-moves"]["data"][1]) == 4  # the clients that lost a rung
    cells = chrome.find_elements(By.CSS_SELECTOR, "table.reps tbody tr:first-child td")
    ana = team.reps[0]
    profiled = f"{ana.key_profiled:,} ({ana.key_profiled / ana.key_contacts:.0%})"
    assert [c.text for c in cells][:2] == [f"{ana.key_contacts:,}", profiled]
    # Tab on a freshly opened page reaches the skip link first, which leads to the content.
    open_page(chrome, site, "/console/team")
    ActionChains(chrome).send_keys(Keys.TAB).perform()
    focused = chrome.switch_to.active_element
    assert focused.text == "Skip to content"
    focused.send_keys(Keys.ENTER)
    assert chrome.switch_to.active_element.get_attribute("id") == "content"


def test_marketing_reads_the_lead_funnel(chrome: WebDriver, site: Site) -> None:
    view(chrome, LAPTOP)
    sign_in(chrome, site, MARKETING)
    assert path_of(chrome) == "/console/leads"  # marketing's first page
    check_page(chrome, "leads")
    with site.store.session() as session:
        campaigns = lead_feedback(session)
    funnel = charts(chrome)["funnel-data"]
    assert funnel["names"] == ["Handed over", "Accepted", "Won"]
    drawn = {
        label: (handed, accepted, won)
        for label, handed, accepted, won in zip(funnel["labels"], *funnel["data"], strict=True)
    }
    expected = {c.campaign: (c.handed_over, c.accepted, c.won) for c in campaigns}
    assert drawn and all(expected[label] == numbers for label, numbers in drawn.items())
    assert "Trade fair Hanover" in expected  # the leads handed over through the API
    total = chrome.find_element(By.CSS_SELECTOR, ".stats .stat-value").text
    assert total == f"{sum(c.handed_over for c in campaigns):,}"


def test_an_admin_wipes_a_laptop_after_confirming_and_the_laptop_is_told(
    chrome: WebDriver, site: Site
) -> None:
    view(chrome, LAPTOP)
    device, token = laptop_sign_in(site, "ben", "1.5.1")
    sign_in(chrome, site, ADMIN)
    open_page(chrome, site, "/console/admin/devices?user=ben")
    check_page(chrome, "devices of ben")
    row = chrome.find_element(By.XPATH, f"//tr[.//code[@title='{device}']]")
    assert "1.5.1" in row.text
    row.find_element(By.TAG_NAME, "button").click()
    wait_for(
        chrome,
        expected_conditions.text_to_be_present_in_element(
            (By.TAG_NAME, "h1"), "Wipe this device of ben?"
        ),
    )
    check_page(chrome, "wipe confirmation")
    me = {"Authorization": f"Bearer {token}"}
    assert site.api.get("/v1/me", headers=me).status_code == 200  # asked, not done
    chrome.find_element(By.ID, "reason").send_keys("laptop left on a train")
    chrome.find_element(By.CSS_SELECTOR, "main button.danger").click()
    notice = wait_for(
        chrome,
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".message.notice")),
    )
    assert "erase their copy at their next contact" in notice.text
    row = chrome.find_element(By.XPATH, f"//tr[.//code[@title='{device}']]")
    assert "wipe asked" in row.text and not row.find_elements(By.TAG_NAME, "button")
    answer = site.api.get("/v1/me", headers=me)
    assert answer.status_code == 410 and "laptop left on a train" in answer.json()["message"]


# Every page, by who sees it: (file name, role, path); None opens it signed out.
PAGES = (
    ("01-sign-in", None, "/console/login"),
    ("02-team", MANAGER, "/console/team"),
    ("03-leads", MARKETING, "/console/leads"),
    ("04-campaign", MARKETING, "/console/leads/campaign?campaign=Trade+fair+Hanover"),
    ("05-holds", MARKETING, "/console/holds"),
    ("06-users", ADMIN, "/console/admin/users"),
    ("07-user", ADMIN, "/console/admin/users/detail?name=ana"),
    ("08-territories", ADMIN, "/console/admin/territories"),
    ("09-devices", ADMIN, "/console/admin/devices"),
    ("11-api-keys", ADMIN, "/console/admin/keys"),
    ("12-ingestion", ADMIN, "/console/admin/ingestion"),
    ("13-policies", ADMIN, "/console/admin/policies"),
    ("14-audit", ADMIN, "/console/admin/audit"),
    ("15-not-for-your-role", MARKETING, "/console/admin/users"),
)


# Pages whose tables a tablet shows by scrolling them sideways (the marketing pages' many
# columns per campaign, lead and hold); every other table fits a 768 px screen.
TABLES_SCROLL_ON_A_TABLET = {"03-leads", "04-campaign", "05-holds"}


@pytest.mark.parametrize("size", [LAPTOP, TABLET], ids=["laptop", "tablet"])
def test_every_page_of_every_role_reads_well_at_a_laptops_and_a_tablets_size(
    chrome: WebDriver, site: Site, shots: Path, size: tuple[int, int]
) -> None:
    view(chrome, size)
    taken = []
    who: str | None = "nobody yet"
    for name, role, path in PAGES:
        if role != who:
            if role is None:
                signed_out(chrome, site)
            else:
                sign_in(chrome, site, role)
            who = role
        open_page(chrome, site, path)
        fits = size == LAPTOP or name not in TABLES_SCROLL_ON_A_TABLET
        check_page(chrome, name, refused=name.endswith("not-for-your-role"), tables_fit=fits)
        taken.append(screenshot(chrome, shots, size, name))
        if name == "09-devices":
            # The confirmation a wipe asks for, then Cancel: nothing is wiped.
            chrome.find_element(By.CSS_SELECTOR, "table.devices button.danger").click()
            wait_for(
                chrome,
                expected_conditions.text_to_be_present_in_element(
                    (By.TAG_NAME, "h1"), "Wipe this device"
                ),
            )
            check_page(chrome, "10-wipe-confirmation")
            taken.append(screenshot(chrome, shots, size, "10-wipe-confirmation"))
            chrome.find_element(By.LINK_TEXT, "Cancel").click()
            wait_for(chrome, lambda c: path_of(c) == "/console/admin/devices")
    assert len(taken) == len(PAGES) + 1
    for png in taken:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
