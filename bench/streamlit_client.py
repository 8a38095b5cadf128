"""A dashboard viewer without a browser: Streamlit's WebSocket protocol, as its frontend speaks it.

The frontend opens `/_stcore/stream`, sends a `rerun_script` BackMsg for the page it shows, and
for every `auto_rerun` ForwardMsg (a `run_every` fragment) sets a `setInterval` that sends
`rerun_script` again with that fragment's id and `is_auto_rerun`. A refresh ends with the
`script_finished` ForwardMsg whose run names the fragment. This client does the same, keeps the
frontend's message cache (it sends the hashes it holds, so the server sends references), and
signs in through the sign-in form and the HttpOnly-cookie endpoint like a person's browser.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
from streamlit.proto.Common_pb2 import StringArray
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from websockets.asyncio.client import ClientConnection, connect

from dashboard.sessions import COOKIE, HANDOFF_SECONDS

STREAM = "/_stcore/stream"
SESSION_ENDPOINT = "/bedboard/session"  # dashboard/server.py
CODE = re.compile(r'body: "([A-Za-z0-9_\-]+)"')  # the one-time code in auth._cookie_script
# What a browser in Tokyo tells the server about itself (sent with every rerun).
CONTEXT = ContextInfo(timezone="Asia/Tokyo", timezone_offset=-540, locale="ja-JP",
                      is_embedded=False, color_scheme="light")  # fmt: skip
FINISHED = ForwardMsg.ScriptFinishedStatus
RUN_S = 120  # a page load slower than this: the server is swamped


class ProtocolError(RuntimeError):
    """The server did not answer as a browser session expects."""


@dataclass
class Refresh:
    """One fragment rerun: when it was asked for and how long until its run finished."""

    fragment_id: str
    sent: float
    seconds: float


@dataclass
class Viewer:
    """One browser tab's session on the dashboard, driven over the WebSocket."""

    url: str
    cookie: str | None = None
    refreshes: list[Refresh] = field(default_factory=list)
    received_bytes: int = 0
    elements: list[Any] = field(default_factory=list)  # the current run's new elements
    page_hash: str = ""
    pages: dict[str, str] = field(default_factory=dict)  # URL path -> page script hash
    scripts: list[str] = field(default_factory=list)  # every st.html body received, in order
    _ws: ClientConnection | None = None
    _cache: set[str] = field(default_factory=set)  # hashes of cacheable messages, as the frontend
    _timers: dict[str, tuple[float, asyncio.Task[None]]] = field(default_factory=dict)
    _pending: dict[str, list[float]] = field(default_factory=dict)  # fragment -> send times
    _widgets: dict[str, WidgetState] = field(default_factory=dict)  # as the frontend holds them
    _running: list[str] = field(default_factory=list)  # the fragments of the run under way
    _full_run: asyncio.Future[int] | None = None
    _reader: asyncio.Task[None] | None = None

    async def open(self, page_name: str = "") -> None:
        """Connect and run the page at `page_name` (its URL path; "" is the home page)."""
        parts = urlsplit(self.url)
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        self._ws = await connect(
            f"ws://{parts.netloc}{STREAM}", subprotocols=["streamlit"],  # type: ignore[list-item]
            origin=f"{parts.scheme}://{parts.netloc}",  # type: ignore[arg-type]
            additional_headers=headers, max_size=None, compression="deflate",
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())
        await self.run(page_name=page_name)

    async def run(self, widgets: list[WidgetState] | None = None, page_name: str = "") -> int:
        """A full run of the page, as a page load or a form submit sends it; its finish status."""
        self._full_run = asyncio.get_running_loop().create_future()
        self.elements = []
        await self._send(widgets or [], page_name=page_name)
        status = await asyncio.wait_for(self._full_run, timeout=RUN_S)
        return status

    async def goto(self, url_path: str) -> int:
        """Open another page of the app, as a click on its navigation link does."""
        for _, task in self._timers.values():  # the frontend drops the last page's timers
            task.cancel()
        self._timers.clear()
        self.page_hash = self.pages[url_path]
        return await self.run()

    async def close(self) -> None:
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _send(self, widgets: list[WidgetState], page_name: str = "", fragment: str = "",
                    auto: bool = False) -> None:  # fmt: skip
        assert self._ws is not None
        values = self._widgets | {w.id: w for w in widgets}  # every drawn widget, as a browser
        state = ClientState(
            query_string="", widget_states=WidgetStates(widgets=list(values.values())),
            page_script_hash=self.page_hash, page_name=page_name if not self.page_hash else "",
            fragment_id=fragment, is_auto_rerun=auto, cached_message_hashes=sorted(self._cache),
            context_info=ContextInfo(url=self.url, **_context()),
        )  # fmt: skip
        await self._ws.send(BackMsg(rerun_script=state).SerializeToString())

    async def _read(self) -> None:
        assert self._ws is not None
        async for raw in self._ws:
            self.received_bytes += len(raw)
            self._handle(ForwardMsg.FromString(raw))  # type: ignore[arg-type]

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if msg.metadata.cacheable:
            self._cache.add(msg.hash)
        if kind == "new_session":  # a run starts: a full one, or the fragments it names
            self.page_hash = msg.new_session.page_script_hash
            self._running = list(msg.metadata.run.fragment_ids)
            if not self._running:  # the frontend forgets the widgets a full run does not draw
                self._widgets.clear()
        elif kind == "navigation":  # the page actually shown (new_session may name the app's)
            self.page_hash = msg.navigation.page_script_hash
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self.elements.append(msg.delta.new_element)
            if msg.delta.new_element.WhichOneof("type") == "html":
                self.scripts.append(msg.delta.new_element.html.body)
            if (state := widget_state(msg.delta.new_element)) is not None:
                self._widgets[state.id] = state
        elif kind == "auto_rerun":
            self._every(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment in msg.stop_auto_rerun.fragment_ids:
                self._timers.pop(fragment, (0.0, _done()))[1].cancel()
        elif kind == "script_finished":
            self._finished(msg)

    def _finished(self, msg: ForwardMsg) -> None:
        now = time.monotonic()
        # The run that ends is the one the last new_session started (its fragments, or all).
        fragments, self._running = self._running, []
        for fragment in fragments:
            for sent in self._pending.pop(fragment, []):
                self.refreshes.append(Refresh(fragment, sent, now - sent))
        waiting = self._full_run is not None and not self._full_run.done()
        # A run that stopped early for st.rerun is followed by the one that counts.
        if not fragments and waiting and msg.script_finished != FINISHED.FINISHED_EARLY_FOR_RERUN:
            assert self._full_run is not None
            self._full_run.set_result(msg.script_finished)

    def _every(self, fragment: str, interval: float) -> None:
        """The frontend's setInterval for a run_every fragment (one per fragment id)."""
        if fragment in self._timers and self._timers[fragment][0] == interval:
            return
        if fragment in self._timers:
            self._timers[fragment][1].cancel()
        self._timers[fragment] = (interval, asyncio.create_task(self._tick(fragment, interval)))

    async def _tick(self, fragment: str, interval: float) -> None:
        start = time.monotonic()
        beat = 1
        while True:
            # setInterval keeps its beat whatever the server does: late answers pile up.
            await asyncio.sleep(max(0.0, start + beat * interval - time.monotonic()))
            beat += 1
            self._pending.setdefault(fragment, []).append(time.monotonic())
            await self._send([], fragment=fragment, auto=True)

    def waiting(self, start: float, end: float) -> bool:
        """Whether a refresh asked for between start and end is still unanswered."""
        return any(start <= sent < end for sents in self._pending.values() for sent in sents)

    def window(self, start: float, end: float, now: float) -> list[float]:
        """Seconds of each refresh asked for between start and end; unanswered ones so far."""
        done = [r.seconds for r in self.refreshes if start <= r.sent < end]
        late = [now - sent for sents in self._pending.values() for sent in sents
                if start <= sent < end]  # fmt: skip
        return done + late

    def text(self) -> str:
        """The Markdown and captions of the last full run (what a person reads)."""
        return " ".join(
            e.markdown.body for e in self.elements if e.WhichOneof("type") == "markdown"
        )

    def element(self, kind: str, **match: Any) -> Any:
        """The first element of the last full run of this kind whose fields match."""
        for element in self.elements:
            if element.WhichOneof("type") == kind:
                found = getattr(element, kind)
                if all(getattr(found, k) == v for k, v in match.items()):
                    return found
        raise ProtocolError(f"no {kind} {match or ''} on the page")


def widget_state(element: Any) -> WidgetState | None:
    """The value the frontend reports for a widget it has drawn and nobody has touched yet.

    Only the kinds on the pages the load opens; form widgets are sent with their form's submit.
    """
    kind = element.WhichOneof("type")
    widget: Any = getattr(element, kind) if kind else None
    if widget is None or not hasattr(widget, "id") or getattr(widget, "form_id", None):
        return None
    if kind == "button_group":
        chosen = [widget.options[i].content for i in widget.default]
        return WidgetState(id=widget.id, string_array_value=StringArray(data=chosen))
    if kind == "multiselect":
        chosen = [widget.options[i] for i in widget.default]
        return WidgetState(id=widget.id, string_array_value=StringArray(data=chosen))
    if kind == "text_input":
        return WidgetState(id=widget.id, string_value=widget.value if widget.set_value
                           else widget.default)  # fmt: skip
    if kind == "selectbox" and widget.options:
        return WidgetState(id=widget.id, string_value=widget.options[widget.default])
    if kind == "number_input":
        if widget.data_type == NumberInput.DataType.INT:
            return WidgetState(id=widget.id, int_value=int(widget.default))
        return WidgetState(id=widget.id, double_value=widget.default)
    return None  # buttons, tables' selections: sent only when someone uses them


def _context() -> dict[str, Any]:
    return {f.name: v for f, v in CONTEXT.ListFields()}


def _done() -> asyncio.Task[None]:
    async def nothing() -> None:
        return None

    return asyncio.ensure_future(nothing())


async def _code(viewer: Viewer, username: str, timeout_s: float = HANDOFF_SECONDS) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for body in viewer.scripts:
            if SESSION_ENDPOINT in body and (found := CODE.search(body)):
                return found.group(1)
        await asyncio.sleep(0.05)  # the next ForwardMsg; bounded by the deadline
    raise ProtocolError(f"signing in {username} gave no session code within a minute")


async def _submit(viewer: Viewer, username: str, password: str) -> asyncio.Task[str]:
    """Fill in and submit the sign-in form; the task that trades the code for the cookie."""
    user = viewer.element("text_input", autocomplete="username")
    secret = viewer.element("text_input", autocomplete="current-password")
    submit = viewer.element("button", is_form_submitter=True)
    viewer.scripts.clear()
    # The browser runs the page's script as soon as it arrives, before the page finishes
    # drawing: the code is good for a minute, which a busy server's first page can outlast.
    cookie = asyncio.create_task(_cookie(viewer, username))
    await viewer.run([WidgetState(id=user.id, string_value=username),
                      WidgetState(id=secret.id, string_value=password),
                      WidgetState(id=submit.id, trigger_value=True)])  # fmt: skip
    return cookie


async def _cookie(viewer: Viewer, username: str) -> str:
    code = await _code(viewer, username)
    parts = urlsplit(viewer.url)
    async with httpx.AsyncClient(base_url=viewer.url) as http:
        origin = {"Origin": f"{parts.scheme}://{parts.netloc}"}  # as the page's fetch sends it
        answer = await http.post(SESSION_ENDPOINT, content=code, headers=origin)
    session = answer.cookies.get(COOKIE)
    if answer.status_code != 204 or not session:
        raise ProtocolError(f"the cookie endpoint answered {answer.status_code}: {answer.text}")
    return session


async def sign_in(url: str, username: str, password: str) -> str:
    """Sign in through the form, trade the one-time code for the cookie; the session id."""
    viewer = Viewer(url)
    try:
        await viewer.open()
        cookie = await _submit(viewer, username, password)
        return await cookie
    finally:
        await viewer.close()


async def signed_in_tab(url: str, username: str, password: str, page: str) -> Viewer:
    """A tab as a person opens it: the sign-in form, the home page, then a click to `page`.

    The tab stays signed in whether or not its cookie arrived (a reload would need it).
    """
    viewer = Viewer(url)
    await viewer.open()
    cookie = await _submit(viewer, username, password)
    if page:
        await viewer.goto(page)
    try:
        viewer.cookie = await cookie
    except ProtocolError:  # too late for the cookie: only a reload would notice
        viewer.cookie = None
    return viewer
