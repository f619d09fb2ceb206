"""The main window: navigation (Today, Accounts, Search), the screens, a status bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

import shiboken6
from PySide6.QtCore import QSize, Qt, Signal, SignalInstance, Slot
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from db.dates import day_and_time
from ui.icons import icon
from ui.lock_screen import (
    LOCK_SHORTCUT,
    IdleWatch,
    LockScreen,
    UnlockBackend,
    WindowsBehindTheLock,
    idle_message,
)
from ui.screen_fit import fit_to_screen
from ui.tasks import Runner
from ui.wheel_guard import install_wheel_guard

if TYPE_CHECKING:
    # Only what the first paint needs is imported before it: these load when first used.
    import uuid

    from db.changes import Changes
    from db.services import LocalServices
    from sync.outcome import SyncOutcome, SyncStatus
    from ui.accounts_page import AccountsPage
    from ui.attention_page import AttentionPage
    from ui.briefing_dialog import BriefingDialog
    from ui.calendar_actions import CalendarActions
    from ui.followups_page import FollowUpsPage
    from ui.hold_dialog import HoldDialog
    from ui.ladder_dialog import LadderDialog
    from ui.leads_page import LeadsPage
    from ui.note_dialog import NoteDialog
    from ui.print_day import DayPrinter
    from ui.profile_dialog import ProfileDialog
    from ui.profiles_page import ProfilesPage
    from ui.search_page import SearchPage
    from ui.settings_dialog import SettingsBackend, SettingsDialog
    from ui.shortcuts_dialog import ShortcutsDialog
    from ui.sync_controller import SyncBackend, SyncController
    from ui.today_page import (
        TodayPage,  # the services import SQLAlchemy, which the GUI thread never needs
    )

TODAY, ACCOUNTS, SEARCH, ATTENTION, PROFILES, FOLLOW_UPS, LEADS = range(7)

Key = TypeVar("Key")
Window = TypeVar("Window")


class DiagnosticsSource(Protocol):
    """What Help > Copy diagnostics asks of desktop/ (desktop.diagnostics.Diagnostics)."""

    def gather(self) -> str:
        """The text for support, with no customer data. Blocks: run off the GUI thread."""
        ...


PREFERRED_SIZE = QSize(1440, 860)  # on a screen that has room; smaller screens get less
TITLE = "Fieldbrief"
LOCKED_TITLE = "Fieldbrief (locked)"
MANUAL_LOCK = "Locked"
DIAGNOSTICS_COPIED = "Diagnostics copied: paste them into your message to support"


def about_text(version: str) -> str:
    """Help > About: what the app is and which version runs (support asks for it)."""
    return (
        f"<h3>Fieldbrief {version or 'dev'}</h3>"
        "<p>Your territory, customer profiles and pre-call briefings, on this computer, "
        "with or without a network.</p>"
        "<p>Help &gt; Copy diagnostics gives support what they need to help you.</p>"
    )


def sync_summary(
    status: SyncStatus, online: bool | None = None, needs_sign_in: bool = False
) -> str:
    """The status bar's sync text: where we stand, what waits, what needs the rep."""
    if not status.configured:
        parts = ["Not signed in · working offline"]
    elif status.last_sync_at is None:
        parts = [f"Not synced yet with {status.server}"]
    else:
        parts = [f"Synced {day_and_time(status.last_sync_at)}"]
    if status.configured and needs_sign_in:
        parts.insert(0, "Sign-in needed")  # never "Online" while sync cannot sign in
    elif status.configured and online is not None:
        parts.insert(0, "Online" if online else "Offline")
    if status.pending:
        parts.append(f"{status.pending:,} change{'s' * (status.pending != 1)} waiting")
    if status.needs_attention:
        parts.append(f"{status.needs_attention:,} need attention")
    if status.configured and not status.keyring:
        parts.append("no keyring: password asked after each restart")
    return " · ".join(parts)


class MainWindow(QMainWindow):
    """Owns the screens and routes between them; data comes through the runner."""

    ready = Signal()  # the first page of accounts (and the first account) is on screen
    closing = Signal()
    locked = Signal()
    unlocked = Signal()

    # The screens exist once the store is open (attach); those out of sight at start are
    # built when first shown or asked for (search_page and the other properties below).
    today_page: TodayPage
    accounts_page: AccountsPage
    attention_page: AttentionPage
    calendar: CalendarActions

    def __init__(
        self,
        runner: Runner,
        store_label: str,
        parent: QWidget | None = None,
        *,
        unlock_check: UnlockBackend | None = None,
        settings: SettingsBackend | None = None,
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(parent)
        install_wheel_guard()  # a wheel turned over a field scrolls, never sets its value
        self._runner = runner
        self._ready = False
        self._attached = False
        self._unbuilt: dict[int, QWidget] = {}  # pages to build when first shown (attach)
        self._sync_status: SyncStatus | None = None
        self.setWindowTitle(TITLE)
        self.setWindowIcon(icon("fieldbrief"))
        self.setMinimumSize(QSize(900, 560))
        fit_to_screen(self, PREFERRED_SIZE)  # desktop places it (where the rep left it)

        # Until the store is open (on the store thread) the window shows a loading page.
        self.pages = QStackedWidget()
        self._loading = QLabel("Opening your territory…")
        self._loading.setObjectName("emptyState")
        self._loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages.addWidget(self._loading)

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setIconSize(QSize(22, 22))
        self.navigation.setFixedWidth(214)  # "Needs attention (128)" whole
        self.navigation.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.navigation.setEnabled(False)
        for name, icon_name in (
            ("Today", "today"),
            ("Accounts", "accounts"),
            ("Search", "search"),
            ("Needs attention", "attention"),
            ("Profiles", "profiles"),
            ("Follow-ups", "followups"),
            ("Leads", "leads"),
        ):
            QListWidgetItem(icon(icon_name), name, self.navigation)

        self.content = QWidget()
        layout = QHBoxLayout(self.content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.pages, stretch=1)
        # The lock screen (made when first needed) takes the content's place.
        self._screens = QStackedWidget()
        self._screens.addWidget(self.content)
        self.setCentralWidget(self._screens)

        self.status_label = QLabel("Opening the local store…")
        self.statusBar().addWidget(self.status_label, stretch=1)
        self.sync_progress = QProgressBar()
        self.sync_progress.setRange(0, 0)  # busy: page counts are not known in advance
        self.sync_progress.setMaximumWidth(140)
        self.sync_progress.setMaximumHeight(14)
        self.sync_progress.hide()
        self.statusBar().addPermanentWidget(self.sync_progress)
        self.sync_label = QLabel(f"Offline · local store {store_label}")
        self.sync_label.setToolTip("Everything here works without a network.")
        self.sync_label.setObjectName("subtitle")
        self.statusBar().addPermanentWidget(self.sync_label)
        # Shown when an automatic sync could not sign in: the rep signs in when they choose
        # (a dialog opened by a timer would take the keys they are typing into a note).
        self._sign_in_message = ""
        self.sign_in_bar = QPushButton()
        self.sign_in_bar.setObjectName("signInBar")
        self.sign_in_bar.setFlat(True)
        self.sign_in_bar.setCursor(Qt.CursorShape.PointingHandCursor)
        self.sign_in_bar.setStyleSheet("color: palette(link); text-decoration: underline;")
        self.sign_in_bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.sign_in_bar.setToolTip("Sign in to your company's server (or press F5)")
        self.sign_in_bar.clicked.connect(lambda: self.show_sign_in(self._sign_in_message))
        self.sign_in_bar.hide()
        self.statusBar().addWidget(self.sign_in_bar)
        # A standing notice the rep must not miss (this copy is erased in 2 days unless it
        # syncs): stays until it no longer holds, unlike a status message.
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setStyleSheet("color: #9a3412; font-weight: 600;")
        self.notice.setWordWrap(False)
        self.notice.hide()
        self.statusBar().addWidget(self.notice)
        self.sync: SyncController | None = None
        self.ask_to_sign_in = True  # tests switch the modal dialog off
        # The windows open now, one per contact, visit and note: asked again, the open one
        # comes forward. A closed one leaves (and is freed) once its own work is done.
        self.profile_dialogs: dict[uuid.UUID, ProfileDialog] = {}
        self.briefing_dialogs: dict[tuple[uuid.UUID, uuid.UUID | None], BriefingDialog] = {}
        self.note_dialogs: dict[uuid.UUID, NoteDialog] = {}
        # New notes not written yet (nothing typed), by account and meeting: Ctrl+N again
        # brings the same one forward. Once written, a note's window is in note_dialogs.
        self.note_drafts: dict[tuple[uuid.UUID, uuid.UUID | None], NoteDialog] = {}
        self.hold_dialog: HoldDialog | None = None
        self.ladder_dialog: LadderDialog | None = None  # one, reused for every account
        self.shortcuts_dialog: ShortcutsDialog | None = None  # F1's, the last one opened
        self.day_printer: DayPrinter | None = None  # Ctrl+Shift+P's, made when first used
        self._diagnostics: DiagnosticsSource | None = None
        self.settings_dialog: SettingsDialog | None = None
        self._settings = settings

        # The idle lock: what it hid, to show again on unlock, and how it unlocks.
        self.lock_screen: LockScreen | None = None
        self._unlock_check = unlock_check
        self._locked = False
        self._lock_for_good = False
        self._behind_the_lock = WindowsBehindTheLock(self)
        self._focus_before_lock: QWidget | None = None
        self._active_before_lock: QWidget | None = None
        self._idle_lock_minutes = 0
        self._unlocking_by_sign_in = False  # the sign-in under way is the lock screen's
        self._sign_in_to_unlock: tuple[str, str, str] | None = None  # after the running sync
        self.idle_watch = IdleWatch(self, wall_clock=wall_clock)
        self.idle_watch.idle.connect(self._on_idle_watch_idle)

        self._build_menus()
        if settings is not None:
            self.set_idle_lock_minutes(settings.idle_lock_minutes)
        runner.data_changed.connect(self._on_runner_data_changed)
        runner.failed.connect(self._on_runner_failed)

    def attach(
        self,
        services: LocalServices,
        sync: SyncBackend | None = None,
        diagnostics: DiagnosticsSource | None = None,
    ) -> None:
        """Builds the screens on the opened store's services and loads their data."""
        # Imported here, not at the top: the first paint of the window does not need them.
        from ui.accounts_page import AccountsPage
        from ui.attention_page import AttentionPage
        from ui.calendar_actions import CalendarActions
        from ui.today_page import TodayPage

        runner = self._runner
        self._profiles = services.profiles
        self._meetings = services.meetings
        self.calendar = CalendarActions(runner, lambda: services.calendar, self)
        self._import_action.setEnabled(True)
        self._export_action.setEnabled(True)
        self._print_day_action.setEnabled(True)
        self._print_day_paper_action.setEnabled(True)
        self.today_page = TodayPage(
            runner,
            services.meetings,
            services.profiles,
            agenda=services.agenda,
            warnings=services.warnings,
        )
        # One store thread, first come first served: the page on screen loads first, and
        # its queries run while the other pages are built.
        self.today_page.refresh()
        self._notes = services.notes
        self._ladder = services.ladder
        self.accounts_page = AccountsPage(
            runner,
            services.accounts,
            notes=services.notes,
            ladder=services.ladder,
            warnings=services.warnings,
        )
        self.accounts_page.start()
        self.attention_page = AttentionPage(runner, services.attention)
        self._services = services
        self.accounts_page.pane.holds_requested.connect(self.open_holds)
        self.pages.removeWidget(self._loading)
        self._loading.deleteLater()
        # The pages out of sight are built when first shown: a place holds their index.
        self._unbuilt = {index: QWidget() for index in (SEARCH, PROFILES, FOLLOW_UPS, LEADS)}
        built: dict[int, QWidget] = {TODAY: self.today_page, ACCOUNTS: self.accounts_page}
        built[ATTENTION] = self.attention_page
        for index in range(LEADS + 1):
            self.pages.addWidget(built.get(index) or self._unbuilt[index])
        self.navigation.currentRowChanged.connect(self._show_index)
        self.accounts_page.status_changed.connect(self.status_label.setText)
        self.accounts_page.model.page_loaded.connect(self._on_accounts_page_loaded)
        self.accounts_page.pane.detail_shown.connect(self._on_pane_detail_shown)
        self.today_page.account_requested.connect(self.open_account)
        self.today_page.briefing_requested.connect(self.open_briefing)
        self.today_page.page_requested.connect(
            lambda name: self.show_page(FOLLOW_UPS if name == "followups" else LEADS)
        )
        self.accounts_page.pane.note_requested.connect(self.open_note)
        self.accounts_page.pane.new_note_requested.connect(lambda a: self.new_note(a, None))
        self.accounts_page.pane.ladder_requested.connect(self.open_ladder)
        self.accounts_page.pane.briefing_requested.connect(
            lambda account_id: self.open_briefing(account_id, None)
        )
        for source in (self.today_page, self.accounts_page.pane):
            source.profile_requested.connect(self.open_profile)
        self.navigation.currentRowChanged.connect(self._on_page_shown)
        self.navigation.setEnabled(True)
        self.navigation.setCurrentRow(TODAY)  # the rep's day first
        self._attached = True
        self.attention_page.count_changed.connect(self._on_attention_count_changed)
        self.attention_page.refresh()
        self.attach_sync(sync, diagnostics)

    @property
    def search_page(self) -> SearchPage:
        return self._built(SEARCH)  # type: ignore[return-value]

    @property
    def profiles_page(self) -> ProfilesPage:
        return self._built(PROFILES)  # type: ignore[return-value]

    @property
    def followups_page(self) -> FollowUpsPage:
        return self._built(FOLLOW_UPS)  # type: ignore[return-value]

    @property
    def leads_page(self) -> LeadsPage:
        return self._built(LEADS)  # type: ignore[return-value]

    def _built(self, index: int) -> QWidget:
        """The page at `index`, built now if it was not yet."""
        place = self._unbuilt.pop(index, None)
        if place is not None:
            shown = self.pages.currentIndex() == index
            self.pages.removeWidget(place)
            place.deleteLater()
            self.pages.insertWidget(index, self._build_page(index))
            if shown:
                self.pages.setCurrentIndex(index)
        page = self.pages.widget(index)
        assert page is not None
        return page

    def _build_page(self, index: int) -> QWidget:
        # Imported here, not at the top: neither start-up nor the first screen needs them.
        from ui.followups_page import FollowUpsPage
        from ui.leads_page import LeadsPage
        from ui.profiles_page import ProfilesPage
        from ui.search_page import SearchPage

        runner, services = self._runner, self._services
        if index == SEARCH:
            search = SearchPage(runner, services.search)
            search.account_requested.connect(self.open_account)
            return search
        if index == PROFILES:
            profiles = ProfilesPage(runner, services.profiles)
            profiles.profile_requested.connect(self.open_profile)
            return profiles
        if index == FOLLOW_UPS:
            followups = FollowUpsPage(runner, services.follow_ups)
            followups.account_requested.connect(self.open_account)
            followups.note_requested.connect(self.open_note)
            return followups
        leads = LeadsPage(runner, services.leads)
        leads.account_requested.connect(self.open_account)
        return leads

    def _is_shown(self, index: int) -> bool:
        """Whether the page at `index` is the one on screen (and so is built)."""
        return index not in self._unbuilt and self.pages.currentIndex() == index

    @Slot(int)
    def _show_index(self, index: int) -> None:
        self._built(index)
        self.pages.setCurrentIndex(index)

    def attach_sync(
        self, sync: SyncBackend | None, diagnostics: DiagnosticsSource | None = None
    ) -> None:
        """Adds sync and diagnostics to an attached window (the app does so once the first
        screen is up)."""
        if diagnostics is not None:
            self._diagnostics = diagnostics
            self._diagnostics_action.setEnabled(True)
        if sync is not None:
            from ui.sync_controller import SyncController

            self._attach_sync(SyncController(self._runner, sync, self))

    def _attach_sync(self, controller: SyncController) -> None:
        self.sync = controller
        controller.started.connect(self._on_sync_started)
        controller.progressed.connect(self._on_sync_progressed)
        controller.synced.connect(self._on_sync_synced)
        controller.failed.connect(self._on_sync_failed)
        controller.sign_in_needed.connect(self._on_sync_sign_in_needed)
        controller.status_changed.connect(self._on_sync_status_changed)
        self._sync_action.setEnabled(True)
        self._sign_in_action.setEnabled(True)
        controller.start()

    def sync_now(self) -> None:
        if self.sync is not None:
            self.sync.sync_now()

    def show_sign_in(self, message: str = "") -> None:
        if self.sync is None:
            return
        status = self._sync_status
        from ui.login_dialog import LoginDialog  # loaded when first needed, not at start

        dialog = LoginDialog(
            status.server if status else None, status.username if status else None, message, self
        )
        accepted = dialog.exec()
        values = dialog.values()
        dialog.deleteLater()  # one per sign-in: freed, not kept under the window
        if accepted:
            self.sync.sign_in(*values)

    @Slot()
    def _on_sync_started(self) -> None:
        self.sync_progress.show()
        self.sync_label.setText("Syncing…")

    @Slot(str, int, object)
    def _on_sync_progressed(self, stage: str, count: int, total: int | None) -> None:
        words = {"push": "sending", "snapshot": "downloading", "pull": "receiving"}
        if stage in words:
            of = f" of {total:,}" if total else ""
            self.sync_label.setText(f"Syncing: {words[stage]} {count:,}{of}…")
        if total:  # a large download: a real bar instead of the busy one
            self.sync_progress.setRange(0, total)
            self.sync_progress.setValue(min(count, total))
        else:
            self.sync_progress.setRange(0, 0)

    @Slot(object)
    def _on_sync_synced(self, outcome: SyncOutcome) -> None:
        self.sync_progress.hide()
        self.sign_in_bar.hide()
        from sync.outcome import describe_outcome

        said = "Synced: " + "; ".join(describe_outcome(outcome))
        self.statusBar().showMessage(said, 30_000 if outcome.warnings else 10_000)
        self.sync_label.setToolTip(said)  # all of it, where the status bar had to cut
        self.attention_page.refresh()  # what was refused, or settled, or set aside
        self._refresh_for(outcome.changes, synced=True)
        self._after_sync_for_lock(None)

    @Slot(str)
    def _on_sync_failed(self, message: str) -> None:
        self.sync_progress.hide()
        self.statusBar().showMessage(f"Not synced: {message}", 15_000)
        self._after_sync_for_lock(message)

    @Slot(str, bool)
    def _on_sync_sign_in_needed(self, message: str, asked: bool) -> None:
        self.sync_progress.hide()
        self.sync_label.setText("Sign-in needed · working offline")
        self._sign_in_message = message
        self._show_sign_in_bar()
        if self._after_sync_for_lock(message):
            return  # said on the lock screen, which offers the sign-in again
        if asked and self.ask_to_sign_in and not self._locked:
            self.show_sign_in(message)

    @Slot(int)
    def _on_attention_count_changed(self, count: int) -> None:
        item = self.navigation.item(ATTENTION)
        item.setText(f"Needs attention ({count})" if count else "Needs attention")

    def _show_sign_in_bar(self) -> None:
        pending = self._sync_status.pending if self._sync_status else 0
        self.sign_in_bar.setText(
            f"Sign in to send {pending:,} change{'s' * (pending != 1)}…"
            if pending
            else "Sign in to sync…"
        )
        self.sign_in_bar.show()

    @Slot(object)
    def _on_sync_status_changed(self, status: SyncStatus) -> None:
        self._sync_status = status
        if self.lock_screen is not None:
            self.lock_screen.account = self._signed_in_account()
        if self.sign_in_bar.isVisible():
            self._show_sign_in_bar()  # the count of changes waiting moved
        if self.sync is not None and self.sync.running:
            return
        self.sync_label.setText(
            sync_summary(
                status,
                self.sync.online if self.sync else None,
                self.sync.needs_sign_in if self.sync else False,
            )
        )

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._import_action = self._add_action(
            file_menu, "&Import calendar (.ics)…", "Ctrl+I", lambda: self.calendar.ask_import()
        )
        self._export_action = self._add_action(
            file_menu,
            "&Export meetings (.ics)…",
            "Ctrl+Shift+E",
            lambda: self.calendar.ask_export(),
        )
        self._import_action.setEnabled(False)  # until the store is open
        self._export_action.setEnabled(False)
        file_menu.addSeparator()
        self._print_day_action = self._add_action(
            file_menu,
            "&Print today's briefings…",
            "Ctrl+Shift+P",
            lambda: self.make_day_printer().ask_save(),
        )
        self._print_day_paper_action = self._add_action(
            file_menu,
            "Print today's briefings on p&aper…",
            "",
            lambda: self.make_day_printer().ask_print(),
        )
        self._print_day_action.setEnabled(False)  # until the store is open
        self._print_day_paper_action.setEnabled(False)
        file_menu.addSeparator()
        self._settings_action = self._add_action(
            file_menu, "Se&ttings…", "Ctrl+,", self.open_settings
        )
        self._settings_action.setEnabled(self._settings is not None)
        self._lock_action = self._add_action(
            file_menu, "&Lock now", LOCK_SHORTCUT, lambda: self.lock(MANUAL_LOCK)
        )
        # From a note's or a briefing's window too: the rep locks wherever they are.
        self._lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        file_menu.addSeparator()
        self._add_action(file_menu, "&Quit", "Ctrl+Q", self.close)
        go_menu = self.menuBar().addMenu("&Go")
        self._add_action(go_menu, "&Today", "Ctrl+1", lambda: self.show_page(TODAY))
        self._add_action(go_menu, "&Accounts", "Ctrl+2", lambda: self.show_page(ACCOUNTS))
        self._add_action(go_menu, "&Search", "Ctrl+3", lambda: self.show_page(SEARCH))
        self._add_action(go_menu, "Needs a&ttention", "Ctrl+4", lambda: self.show_page(ATTENTION))
        self._add_action(go_menu, "&Profiles", "Ctrl+5", lambda: self.show_page(PROFILES))
        self._add_action(go_menu, "&Follow-ups", "Ctrl+6", lambda: self.show_page(FOLLOW_UPS))
        self._add_action(go_menu, "&Leads", "Ctrl+7", lambda: self.show_page(LEADS))
        go_menu.addSeparator()
        self._add_action(
            go_menu, "Find &account…", QKeySequence.StandardKey.Find, self.find_account
        )
        self._add_action(go_menu, "Search &everything…", "Ctrl+Shift+F", self.search_everything)
        go_menu.addSeparator()
        self._add_action(go_menu, "Open &briefing", "Ctrl+B", self.open_selected_briefing)
        self._add_action(go_menu, "New visit &note", "Ctrl+N", self.new_note_for_selection)
        sync_menu = self.menuBar().addMenu("&Sync")
        self._sync_action = self._add_action(sync_menu, "Sync &now", "F5", self.sync_now)
        self._sign_in_action = self._add_action(
            sync_menu, "Sign &in to server…", "Ctrl+Shift+L", self.show_sign_in
        )
        self._sync_action.setEnabled(False)
        self._sign_in_action.setEnabled(False)
        help_menu = self.menuBar().addMenu("&Help")
        self._add_action(help_menu, "&Keyboard shortcuts", "F1", self._show_shortcuts)
        self._diagnostics_action = self._add_action(
            help_menu, "Copy &diagnostics", "", self.copy_diagnostics
        )
        self._diagnostics_action.setEnabled(False)  # until the store is open
        self._about_action = self._add_action(help_menu, "&About Fieldbrief", "", self._show_about)

    def _add_action(
        self,
        menu: QMenu,
        text: str,
        shortcut: str | QKeySequence.StandardKey,
        slot: Callable[[], object],
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def show_page(self, page: int) -> None:
        if self._attached:
            self.navigation.setCurrentRow(page)

    def show_notice(self, text: str) -> None:
        """Shows a standing notice in the status bar; "" takes it away."""
        self.notice.setText(text[:1].upper() + text[1:])
        self.notice.setToolTip(self.notice.text())
        self.notice.setVisible(bool(text))

    def stop_sync(self) -> None:
        """No more syncs from this window (the copy is being erased)."""
        if self.sync is not None:
            self.sync.stop()

    def show_fatal(self, message: str) -> None:
        """Replaces the loading page with why the territory could not be opened."""
        self._loading.setText(f"Fieldbrief cannot open your territory.\n\n{message}")
        self.status_label.setText("The local store could not be opened.")

    def find_account(self) -> None:
        if not self._attached:
            return
        self.show_page(ACCOUNTS)
        self.accounts_page.focus_search()

    def search_everything(self) -> None:
        if not self._attached:
            return
        self.show_page(SEARCH)
        self.search_page.focus_search()

    @Slot(object)
    def open_account(self, account_id: uuid.UUID) -> None:
        self.show_page(ACCOUNTS)
        self.accounts_page.open_account(account_id)

    def make_day_printer(self) -> DayPrinter:
        """What prints the day's briefings (Ctrl+Shift+P): made when first asked for, the
        same one after."""
        if self.day_printer is None:
            from ui.print_day import DayPrinter

            def rep() -> str | None:  # who signed in last, for the cover
                return self._sync_status.username if self._sync_status else None

            self.day_printer = DayPrinter(
                self._runner, self._meetings, self._services.briefings, self, rep
            )
        return self.day_printer

    def open_selected_briefing(self) -> None:
        """Ctrl+B: the briefing for the selected meeting (Today) or account (elsewhere)."""
        if not self._attached:
            return
        if self.pages.currentWidget() is self.today_page and self.today_page.open_briefing():
            return
        account_id = self.accounts_page.pane.account_id
        if self.pages.currentWidget() is self.accounts_page and account_id is not None:
            self.open_briefing(account_id, None)
            return
        self.statusBar().showMessage(
            "Select a meeting on Today or an account first, then press Ctrl+B.", 8_000
        )

    def new_note_for_selection(self) -> None:
        """Ctrl+N: the note of the selected meeting (Today) or a new one about the account."""
        if not self._attached:
            return
        if self.pages.currentWidget() is self.today_page:
            meeting = self.today_page.selected_meeting()
            if meeting is not None:
                self.new_note(meeting.account_id, meeting.id)
                return
        account_id = self.accounts_page.pane.account_id
        if self.pages.currentWidget() is self.accounts_page and account_id is not None:
            self.new_note(account_id, None)
            return
        self.statusBar().showMessage(
            "Select a meeting on Today or an account first, then press Ctrl+N.", 8_000
        )

    def new_note(self, account_id: uuid.UUID, meeting_id: uuid.UUID | None) -> None:
        """Opens a new note's window (a meeting's existing note is opened instead). Nothing
        is written until the rep types or checks in: closed untouched, it leaves no note."""
        import uuid  # at run time too: the meeting's note is told from a draft by its type

        from ui.note_dialog import NoteDialog

        if TYPE_CHECKING:
            from db.field.notes import NoteDraft

        key = (account_id, meeting_id)
        if (draft_window := self.note_drafts.get(key)) is not None:
            self._bring_forward(draft_window)
            return
        notes = self._notes

        def find() -> uuid.UUID | NoteDraft:
            existing = notes.for_meeting(meeting_id) if meeting_id is not None else None
            return existing or notes.draft(account_id, meeting_id)

        def show(found: uuid.UUID | NoteDraft) -> None:
            if isinstance(found, uuid.UUID):
                self.open_note(found)
                return
            dialog = self.note_drafts.get(key)  # asked twice before the first answer came
            if dialog is None:
                dialog = NoteDialog(self._runner, notes, found, self)
                self._keep_while_open(self.note_drafts, key, dialog, dialog.released)
                drafted = dialog
                drafted.created.connect(lambda note_id: self._on_note_created(drafted, note_id))
            if self._locked:  # locked since Ctrl+N: it opens on unlock
                self._behind_the_lock.keep(dialog)
                return
            self._bring_forward(dialog)

        self._runner.read(find, show)

    def _on_note_created(self, dialog: NoteDialog, note_id: uuid.UUID) -> None:
        """A draft's note was written: its window is now that note's (opened again, it is
        the one that comes forward)."""
        for key, draft in list(self.note_drafts.items()):
            if draft is dialog:
                del self.note_drafts[key]
        self._keep_while_open(self.note_dialogs, note_id, dialog, dialog.released)

    @staticmethod
    def _bring_forward(dialog: NoteDialog) -> None:
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    @Slot(object)
    def open_ladder(self, account_id: uuid.UUID) -> LadderDialog:
        """Opens the ladder dialog for the account: its history, and a move with a reason
        (stored through the runner; data_changed then refreshes the list and pane)."""
        from ui.ladder_dialog import LadderDialog
        from ui.undo_bar import UndoBar

        if self.ladder_dialog is None:
            self.ladder_dialog = LadderDialog(self._runner, self._ladder, self)
            bar = UndoBar.over(self.pages)  # the dialog closes on a move: undo floats here
            self.ladder_dialog.undo_offered.connect(bar.offer)
        self.ladder_dialog.show_account(account_id)
        return self.ladder_dialog

    @Slot(object)
    def open_holds(self, account_id: uuid.UUID) -> None:
        """The account's marketing holds (Ctrl+Shift+H on Accounts)."""
        from ui.hold_dialog import HoldDialog

        dialog = HoldDialog(self._runner, self._services.holds, account_id, self)
        self.hold_dialog = dialog

        def forget() -> None:
            if self.hold_dialog is dialog:
                self.hold_dialog = None

        dialog.released.connect(forget)
        dialog.open()

    @Slot(object)
    def open_note(self, note_id: uuid.UUID) -> NoteDialog:
        """Shows a note's window (one per note, raised if open)."""
        from ui.note_dialog import NoteDialog

        dialog = self.note_dialogs.get(note_id)
        if dialog is None:
            dialog = NoteDialog(self._runner, self._notes, note_id, self)
            self._keep_while_open(self.note_dialogs, note_id, dialog, dialog.released)
        self._bring_forward(dialog)
        return dialog

    @Slot(object, object)
    def open_briefing(self, account_id: uuid.UUID, meeting_id: uuid.UUID | None) -> BriefingDialog:
        """Shows the briefing for a visit (one window per account and meeting, raised if
        open, and read again so it is current)."""
        from ui.briefing_dialog import BriefingDialog

        key = (account_id, meeting_id)
        dialog = self.briefing_dialogs.get(key)
        if dialog is None:
            dialog = BriefingDialog(
                self._runner, self._services.briefings, account_id, meeting_id, self
            )
            self._keep_while_open(self.briefing_dialogs, key, dialog, dialog.released)
        else:
            dialog.reload()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    @Slot(object)
    def open_profile(self, contact_id: uuid.UUID) -> ProfileDialog:
        """Shows the contact's profile editor (one window per contact, raised if open)."""
        from ui.profile_dialog import ProfileDialog

        dialog = self.profile_dialogs.get(contact_id)
        if dialog is None:
            dialog = ProfileDialog(self._runner, self._profiles, contact_id, self)
            dialog.saved.connect(self._on_profile_saved)
            self._keep_while_open(self.profile_dialogs, contact_id, dialog, dialog.released)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    @staticmethod
    def _keep_while_open(
        windows: dict[Key, Window], key: Key, window: Window, released: SignalInstance
    ) -> None:
        """Keeps an open window under its key until it is released (closed and done)."""
        windows[key] = window

        def forget() -> None:
            if windows.get(key) is window:
                del windows[key]

        released.connect(forget)

    @Slot(str)
    def _on_profile_saved(self, question_id: str) -> None:
        # Only dates that come back every year move the reminder lists; other answers
        # would re-read the whole territory's reminders on every typing pause.
        question = self._profiles.definition.get(question_id)
        if question is not None and question.recurs is not None:
            self.today_page.refresh_reminders()
        if self._is_shown(PROFILES):
            self.profiles_page.refresh()

    @Slot(int)
    def _on_page_shown(self, page: int) -> None:
        if page == SEARCH:
            self.search_page.refresh()  # a sync may have brought new hits meanwhile
        if page == PROFILES:
            self.profiles_page.refresh()
        if page == LEADS:
            self.leads_page.refresh()
        if page == FOLLOW_UPS:
            self.followups_page.account_for_new = self.accounts_page.pane.account_id
            self.followups_page.refresh()

    @property
    def is_ready(self) -> bool:
        return self._ready

    def _mark_ready(self) -> None:
        if not self._ready:
            self._ready = True
            self.ready.emit()

    @Slot(int)
    def _on_accounts_page_loaded(self, loaded: int) -> None:
        if loaded == 0:
            self._mark_ready()

    @Slot(object)
    def _on_pane_detail_shown(self, _detail: object) -> None:
        self._mark_ready()

    @Slot(object)
    def _on_runner_data_changed(self, changes: Changes) -> None:
        if self._attached:
            self._refresh_for(changes, synced=False)

    def _refresh_for(self, changes: Changes, *, synced: bool) -> None:
        """Each page and open window reloads what `changes` touched (a local write's, or
        everything a sync wrote). Pages out of sight refresh when shown (_on_page_shown)."""
        touches = changes.touches
        if touches("account"):
            self.accounts_page.model.refresh()
        if touches("account") or (synced and touches("contact")):
            self.accounts_page.pane.reload()
        elif touches("visit_note"):
            self.accounts_page.pane.reload_notes()
        meetings = touches("meeting") or touches("meeting_attendee")
        if meetings or touches("task") or touches("lead") or touches("account"):
            self.today_page.refresh_agenda()
        if touches("activity") and not touches("account"):
            # New service, billing or marketing events may open or settle a warning.
            self.accounts_page.model.reload_marks()
            self.accounts_page.pane.reload()
        if meetings or touches("activity"):
            self.today_page.refresh_meetings()  # and their warning marks
        # The month's birthdays, only when a profile or a name may have changed.
        if touches("profile_answer") or touches("contact"):
            self.today_page.refresh_reminders()
        if touches("task") and self._is_shown(FOLLOW_UPS):
            self.followups_page.refresh()
        if touches("lead") and self._is_shown(LEADS):
            self.leads_page.refresh()
        if (
            synced
            and self._is_shown(PROFILES)
            and (touches("contact") or touches("profile_answer"))
        ):
            self.profiles_page.refresh()
        if synced and self._is_shown(SEARCH):
            self.search_page.refresh()
        if not synced or not changes:
            return
        # An open briefing shows what the sync brought (a dispute opened meanwhile is what
        # a rep must not miss); an open note, another device's revision (a note being
        # typed in keeps what was typed: see NoteDialog._on_loaded).
        reloadable: list[BriefingDialog | NoteDialog] = [*self.briefing_dialogs.values()]
        if touches("visit_note"):
            reloadable += self.note_dialogs.values()
        for dialog in reloadable:
            if dialog.isVisible():
                dialog.reload()

    @Slot(str)
    def _on_runner_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)

    def copy_diagnostics(self) -> None:
        """Help > Copy diagnostics: gathered off the GUI thread, then put on the clipboard."""
        if self._diagnostics is not None:
            self._runner.network(self._diagnostics.gather, self._on_diagnostics_gathered)

    def _on_diagnostics_gathered(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.statusBar().showMessage(DIAGNOSTICS_COPIED, 15_000)

    def _show_about(self) -> None:
        from PySide6.QtCore import QCoreApplication
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.about(
            self, "About Fieldbrief", about_text(QCoreApplication.applicationVersion())
        )

    def _show_shortcuts(self) -> None:
        from ui.shortcuts_dialog import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.shortcuts_dialog = dialog
        dialog.open()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.idle_watch.stop_watching_app()
        if self.sync is not None:
            self.sync.stop()
        self.closing.emit()
        super().closeEvent(event)

    # -- settings --------------------------------------------------------------------------

    def set_settings(self, settings: SettingsBackend) -> None:
        """The app's settings (File > Settings); the idle lock takes its minutes from them."""
        self._settings = settings
        self._settings_action.setEnabled(True)
        self.set_idle_lock_minutes(settings.idle_lock_minutes)

    def open_settings(self) -> SettingsDialog | None:
        """Ctrl+, : the idle lock's minutes and the company CA (never opened by itself)."""
        from ui.settings_dialog import SettingsDialog

        if self._settings is None or self._locked:
            return None
        dialog = self.settings_dialog
        if dialog is None:
            dialog = SettingsDialog(self._runner, self._settings, self)
            dialog.saved.connect(self._on_settings_dialog_saved)
            self.settings_dialog = dialog

            def forget() -> None:
                if self.settings_dialog is dialog:
                    self.settings_dialog = None

            dialog.released.connect(forget)
        dialog.open()
        dialog.raise_()
        return dialog

    @Slot()
    def _on_settings_dialog_saved(self) -> None:
        if self._settings is not None:
            self.set_idle_lock_minutes(self._settings.idle_lock_minutes)
            self.statusBar().showMessage("Settings saved", 8_000)

    # -- the idle lock ---------------------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return self._locked

    def set_unlock_check(self, check: UnlockBackend | None) -> None:
        """What checks a typed secret (desktop.unlock.UnlockCheck)."""
        self._unlock_check = check
        if self.lock_screen is not None:
            self.lock_screen.set_check(check)

    def set_idle_lock_minutes(self, minutes: int) -> None:
        """Locks after `minutes` without input; 0: never."""
        self._idle_lock_minutes = max(0, minutes)
        self.set_idle_timeout_ms(self._idle_lock_minutes * 60_000)

    def set_idle_timeout_ms(self, timeout_ms: int) -> None:
        """The idle time in milliseconds (tests wait less than a minute); 0: never."""
        self.idle_watch.set_timeout_ms(timeout_ms)
        if not self._locked:
            self.idle_watch.start()

    @Slot()
    def _on_idle_watch_idle(self) -> None:
        self.lock(idle_message(self._idle_lock_minutes))

    def lock(self, message: str = MANUAL_LOCK, *, can_unlock: bool = True) -> None:
        """Covers every page with the lock screen and hides the window's other windows (a
        note being typed keeps its text, and what was typed is saved as usual). Sync goes on.
        With `can_unlock` false the lock is for good: `message` says why, with no password
        field (a wiped or expired copy), and a later lock does not replace it. Never raises
        or activates the window: the rep may be working in another application."""
        if self._lock_for_good:
            return
        if self.lock_screen is None:
            self.lock_screen = LockScreen(self._runner)
            self.lock_screen.set_check(self._unlock_check)
            self.lock_screen.unlocked.connect(self.unlock)
            self.lock_screen.sign_in_requested.connect(self._on_lock_screen_sign_in_requested)
            self._screens.addWidget(self.lock_screen)
        first = not self._locked
        if first:
            self._focus_before_lock = QApplication.focusWidget()
            self._active_before_lock = QApplication.activeWindow()
            self._behind_the_lock.hide_all()
        self._locked = True
        self._lock_for_good = not can_unlock
        self.idle_watch.pause()
        self.lock_screen.account = self._signed_in_account()
        self._screens.setCurrentWidget(self.lock_screen)
        # No menu, shortcut or sign-in link works behind the lock (a sign-in as someone
        # else would make their password the one that unlocks).
        self.menuBar().setEnabled(False)
        self.sign_in_bar.setEnabled(False)
        self.setWindowTitle(LOCKED_TITLE)
        self.lock_screen.show_locked(message, can_unlock=can_unlock)
        if first:
            self.locked.emit()

    @Slot()
    def unlock(self) -> None:
        """Shows the pages, and the windows the lock hid, as they were."""
        if not self._locked:
            return
        self._locked = self._lock_for_good = False
        self._unlocking_by_sign_in = False
        self._sign_in_to_unlock = None
        self._screens.setCurrentWidget(self.content)
        self.menuBar().setEnabled(True)
        self.sign_in_bar.setEnabled(True)
        self.setWindowTitle(TITLE)
        self._behind_the_lock.show_all()
        active, focus = self._active_before_lock, self._focus_before_lock
        self._active_before_lock = self._focus_before_lock = None
        if _still_shown(active) and active is not self:
            assert active is not None
            active.raise_()
            active.activateWindow()
        if _still_shown(focus):
            assert focus is not None
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self.idle_watch.start()
        self.unlocked.emit()

    def _signed_in_account(self) -> tuple[str, str] | None:
        status = self._sync_status
        if status is None or not status.server or not status.username:
            return None
        return status.server, status.username

    @Slot()
    def _on_lock_screen_sign_in_requested(self) -> None:
        """Nothing on this computer can check a typed secret: signing in to the server
        unlocks (as the rep this copy belongs to, once one has signed in)."""
        screen = self.lock_screen
        if screen is None:
            return
        if self.sync is None:
            screen.say("Signing in waits until your territory is open: try again in a moment.")
            return
        from ui.login_dialog import LoginDialog

        status = self._sync_status
        known = status is not None and status.configured
        dialog = LoginDialog(
            status.server if status else None, status.username if status else None, "", self
        )
        dialog.server.setReadOnly(known)
        dialog.username.setReadOnly(known)
        accepted = dialog.exec()
        values = dialog.values()
        dialog.deleteLater()
        if not accepted or not self._locked or self._lock_for_good:
            return
        screen.say("Signing in…")
        if self.sync.running:
            self._sign_in_to_unlock = values  # syncs go one at a time: after this one
        else:
            self._unlocking_by_sign_in = True
            self.sync.sign_in(*values)

    def _after_sync_for_lock(self, problem: str | None) -> bool:
        """A sync ended. If it was the lock screen's sign-in, unlocks (or says why not) and
        returns True; if that sign-in waited for this sync, starts it."""
        if self._unlocking_by_sign_in:
            self._unlocking_by_sign_in = False
            if problem is None and not self._lock_for_good:
                self.unlock()
            elif self.lock_screen is not None:
                self.lock_screen.say(problem or "")
            return True
        waiting, self._sign_in_to_unlock = self._sign_in_to_unlock, None
        if waiting is not None and self.sync is not None and self._locked:
            self._unlocking_by_sign_in = True
            self.sync.sign_in(*waiting)
        return False


def _still_shown(widget: QWidget | None) -> bool:
    return widget is not None and shiboken6.isValid(widget) and widget.isVisible()
