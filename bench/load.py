"""Steady load on bs-core while a cutover runs, as the CRM's users would make it.

Two clients, each firing requests at a fixed rate on its own thread pool (a slow or hanging
request never delays the next one): a producer that enqueues `bench.record` jobs with payload
{"seq": N} through `POST /api/jobs` (the app's enqueue path), and a reader that calls
`GET /api/cache/roundtrip`. Every request is recorded with its send time and outcome:
ok (2xx), http (another status), error (connection refused/reset/unreachable), timeout.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

TIMEOUT_S = 3.0


def request(url: str, body: object = None) -> dict:
    """One HTTP request; never raises. Returns {"kind", "status", "body", "sent", "done"}."""
    data = None if body is None else json.dumps(body).encode()
    # http:// URLs built by Load from a container address, never user input
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
    outcome: dict = {"kind": "ok", "status": None, "body": None, "sent": time.time()}
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as response:  # noqa: S310 - http to a sandbox container
            outcome["status"], raw = response.status, response.read()
        outcome["body"] = json.loads(raw or b"null")
    except urllib.error.HTTPError as error:
        outcome.update(kind="http", status=error.code, body=error.read()[:200].decode(errors="replace"))
    except TimeoutError as error:  # socket.timeout is an alias of it
        outcome.update(kind="timeout", body=str(error))
    except urllib.error.URLError as error:
        timed_out = isinstance(error.reason, TimeoutError)
        outcome.update(kind="timeout" if timed_out else "error", body=str(error.reason))
    except (OSError, ValueError) as error:  # reset mid-response, a body that is not JSON
        outcome.update(kind="error", body=f"{type(error).__name__}: {error}")
    outcome["done"] = time.time()
    return outcome


class Client:
    """Calls `send(n)` for n = 0, 1, 2, ... at `rate` per second until stopped; keeps every outcome."""

    def __init__(self, name: str, rate: float, send: Callable[[int], dict]):
        self.name, self.rate, self._send = name, rate, send
        self.outcomes: list[dict] = []
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=max(8, int(rate * TIMEOUT_S * 2)), thread_name_prefix=name)
        self._ticker = threading.Thread(target=self._tick, name=f"{name}-ticker", daemon=True)

    def start(self) -> None:
        self._ticker.start()

    def stop(self) -> None:
        """Stop sending and wait for the requests in flight (each ends within TIMEOUT_S)."""
        self._stop.set()
        self._ticker.join()
        self._pool.shutdown(wait=True)

    def _tick(self) -> None:
        start, n = time.monotonic(), 0
        while not self._stop.wait(max(0.0, start + n / self.rate - time.monotonic())):
            self._pool.submit(self._one, n)
            n += 1

    def _one(self, n: int) -> None:
        outcome = self._send(n)
        outcome["n"] = n
        self.outcomes.append(outcome)  # list.append is atomic


class Load:
    """The producer and the reader against bs-core at `address` (its dockernet IP)."""

    def __init__(self, address: str, job_rate: float, http_rate: float):
        base = f"http://{address}:8000"
        self.producer = Client(
            "producer",
            job_rate,
            lambda n: request(f"{base}/api/jobs", {"entrypoint": "bench.record", "payloads": [{"seq": n}]}),
        )
        self.reader = Client("reader", http_rate, lambda _n: request(f"{base}/api/cache/roundtrip"))
        self.started = self.stopped = 0.0

    def start(self) -> None:
        self.started = time.time()
        self.producer.start()
        self.reader.start()

    def stop(self) -> None:
        self.stopped = time.time()
        self.producer.stop()
        self.reader.stop()

    def acknowledged(self) -> dict[int, float]:
        """seq -> send time, for every job POST answered 201."""
        return {o["n"]: o["sent"] for o in self.producer.outcomes if o["kind"] == "ok" and o["status"] == 201}
