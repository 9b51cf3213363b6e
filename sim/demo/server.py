"""The demo's server: ``cogov demo`` serves the page (:mod:`sim.demo.page`) on 127.0.0.1.

The scenario is checked and the port bound before anything of the browser side is imported, so a
bad file or a busy port is refused at once; solara and its server load only when serving starts.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import warnings
import webbrowser
from collections.abc import Callable
from pathlib import Path

from sim.demo.adapter import DEFAULT_SCENARIO, ENV_SCENARIO
from sim.scenario import Scenario, ScenarioError


def serve(scenario_path: str | os.PathLike | None, port: int, open_browser: bool = False, *,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the demo on http://127.0.0.1:``port`` until interrupted (blocking).

    ``scenario_path`` (default ``scenarios/teaching.yaml``) is loaded first and checked at once:
    a bad file raises :class:`ScenarioError` before anything starts; a busy port raises
    ``OSError``. ``on_ready(url)`` is called once the server accepts connections, then the
    browser is opened if ``open_browser``.
    """
    path = Path(scenario_path) if scenario_path else DEFAULT_SCENARIO
    if not path.exists():
        raise ScenarioError(f"{path}: file not found")
    Scenario.load(path)  # bad input fails here, with its located message
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    # the page reads its scenario from here; solara reads its app and settings at import
    os.environ[ENV_SCENARIO] = str(path.resolve())
    os.environ["SOLARA_APP"] = "sim.demo.page:Page"
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no network here
    os.environ.setdefault("SOLARA_MODE", "production")
    # solara's "This website runs on Solara" banner sits over the bottom right of the page, on
    # the last chart's axis on a projector
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    import uvicorn

    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    # a known, harmless notice of solara on a plain-http localhost page
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    config = uvicorn.Config("solara.server.starlette:app", log_level="warning",
                            access_log=False, ws="auto")
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            if on_ready is not None:
                on_ready(url)
            if open_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])
