"""Running the fake platform: :func:`serve` for the CLI, :class:`FakeWeChatServer` for tests."""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType

import uvicorn

from app.fakewechat.app import create_fake_app
from app.fakewechat.state import FakeWeChatState

__all__ = ["FakeWeChatServer", "serve"]

logger = logging.getLogger("hongxin.fakewechat")


def serve(
    host: str = "127.0.0.1",
    port: int = 9100,
    *,
    state: FakeWeChatState | None = None,
    log_level: str = "info",
) -> None:
    """Serve the fake platform until interrupted (``hongxin fake-wechat``).

    Point ``HONGXIN_WECHAT_API_BASE`` at ``http://HOST:PORT``. Each call is logged as
    one line; uvicorn's access log stays off because it would print access tokens.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logger.setLevel(logging.INFO)
    logger.info("fake WeChat API on http://%s:%d (control API under /_fake)", host, port)
    uvicorn.run(
        create_fake_app(state),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
    )


class FakeWeChatServer:
    """The fake platform served by uvicorn on a background thread, for tests.

    ``port=0`` picks a free port (bound before the thread starts, so no race);
    ``url`` is then the base URL to give the client. Use as a context manager, or
    call :meth:`start` and :meth:`stop`. ``state`` is the live state, readable from
    the test thread (prefer the ``/_fake`` control API for changes).
    """

    def __init__(
        self,
        state: FakeWeChatState | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        start_timeout: float = 10.0,
    ) -> None:
        self.state = state if state is not None else FakeWeChatState()
        self.host = host
        self._requested_port = port
        self._start_timeout = start_timeout
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_fake_app(self.state),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-wechat", daemon=True
        )
        self._socket, self._server, self._thread = sock, server, thread
        thread.start()
        deadline = time.monotonic() + self._start_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("fake WeChat server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> FakeWeChatServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
