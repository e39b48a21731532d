"""Verification in child processes, each verification under a CPU-time budget.

The limits in certificates.bounds refuse the shapes known to be expensive, but canonicalization and PDF parsing can
be made slow by inputs no count foresees. So the work runs in a child process with a CPU-time timer armed for the
job (ITIMER_PROF, which counts the child's own user and system time to the microsecond): at the budget the kernel
ends the child with SIGPROF, wherever it is — inside PyLD, zlib or pypdf — and the caller gets BudgetExceeded. A
child that finished its job is kept for the next one; a killed one is replaced.

The children come from a fork server (a fresh interpreter that imported the engine once, then forks a child per
worker in milliseconds): never forked from the caller, which may hold database connections, threads and metric files
that a forked copy must not touch. They need no database: whatever the job's arguments hold that is callable — the
status lookup of a Trust, the receipt lookup — stays in the caller, and the child asks the caller to run it (the
request thread answers while it waits), so the database is only ever used by the process that owns it.

Each process that verifies keeps its own few children; no lock is held while a job runs, so a slow verification
holds up no other one. The pool is per process id: a process forked after creating one starts its own.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import multiprocessing
import multiprocessing.context
import multiprocessing.popen_forkserver
import multiprocessing.spawn
import multiprocessing.util
import os
import pickle
import resource
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing import forkserver, reduction
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

T = TypeVar("T")

CPU_SECONDS = 2.0
# A child that neither finishes nor spends its CPU budget (a machine so loaded it gets no time) is ended after this.
WALL_SECONDS = 30.0
# Address space of a child: a decompression bomb fails with MemoryError instead of taking the machine's memory.
MEMORY_BYTES = 2 * 1024 * 1024 * 1024
# Children kept waiting per process; more are started when more verifications run at once.
IDLE_CHILDREN = 2
_PRELOAD = ["certificates.budget", "certificates.verify"]


class BudgetExceeded(Exception):
    """The job used more than its CPU budget (or wall-clock limit) and was stopped."""

    def __init__(self, seconds: float, what: str = "CPU") -> None:
        self.seconds = seconds
        self.what = what
        super().__init__(f"the verification took more than the {seconds:g} s {what} budget and was stopped")

    def __reduce__(self) -> tuple[Any, ...]:
        return (BudgetExceeded, (self.seconds, self.what))


class WorkerFailed(Exception):
    """The child ended without an answer for another reason than the budget (it ran out of memory, say)."""


class _CallbackFailed(Exception):
    """What the child sees when a callback raised in the caller; the caller raises the original error instead, so
    the child never has to unpickle (import) the caller's exception classes."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_CallbackFailed, self.args)


# -- transport ------------------------------------------------------------------------------------------------------


def _rebuild_exception(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        # Exceptions whose __init__ takes other arguments than their message (most of ours) do not unpickle by
        # default; these are rebuilt from their args and attributes instead.
        if isinstance(obj, BaseException) and type(obj).__reduce__ is BaseException.__reduce__:
            return (_rebuild_exception, (type(obj), obj.args, dict(obj.__dict__)))
        # The log keys a Trust holds are OpenSSL objects, which do not pickle; their raw bytes do.
        if isinstance(obj, Ed25519PublicKey):
            return (Ed25519PublicKey.from_public_bytes, (obj.public_bytes(Encoding.Raw, PublicFormat.Raw),))
        return NotImplemented


def _loads(data: bytes) -> Any:
    # Only ever bytes from the other end of this module's own pipe: the uploaded file travels inside them as data.
    return pickle.loads(data)  # noqa: S301


def _dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


@dataclasses.dataclass(frozen=True)
class _Callback:
    """Stands in the child for a callable the caller kept; calling it runs the original in the caller."""

    index: int

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        connection = _connection
        assert connection is not None, "a callback outside a verification child"
        connection.send_bytes(_dumps(("call", self.index, args, kwargs)))
        kind, value = _loads(connection.recv_bytes())
        if kind == "raise":
            raise value
        return value


def _detach(value: Any, kept: list[Callable[..., Any]]) -> Any:
    """The value with its callables (itself, or the fields of a dataclass) replaced by callbacks to `kept`."""
    if callable(value) and not isinstance(value, type):
        kept.append(value)
        return _Callback(len(kept) - 1)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            field.name: _detach(getattr(value, field.name), kept)
            for field in dataclasses.fields(value)
            if callable(getattr(value, field.name)) and not isinstance(getattr(value, field.name), type)
        }
        return dataclasses.replace(value, **changes) if changes else value
    return value


# -- the child ------------------------------------------------------------------------------------------------------

_connection: Connection | None = None


def _serve(connection: Connection, memory: int) -> None:
    global _connection
    _connection = connection
    # Ctrl-C on `creditbank serve` reaches the whole process group; the child ends when its caller closes the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # What the fork server imported lives as long as the child: out of the collector's way, or every full collection
    # (canonicalization allocates enough to trigger many) walks all of it again.
    gc.freeze()
    while True:
        try:
            job = connection.recv_bytes()
        except (EOFError, OSError):
            return
        function, args, kwargs, seconds = _loads(job)
        signal.setitimer(signal.ITIMER_PROF, seconds)
        try:
            answer: tuple[str, Any] = ("ok", function(*args, **kwargs))
        except Exception as exc:  # handed to the caller, which raises it
            answer = ("raise", exc)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        try:
            message = _dumps(answer)
        except Exception as exc:  # an answer that cannot travel is the job's failure, not the child's
            message = _dumps(("raise", WorkerFailed(f"the verification's answer could not be returned: {exc!r}")))
        connection.send_bytes(message)


# -- the caller -----------------------------------------------------------------------------------------------------


class _Popen(multiprocessing.popen_forkserver.Popen):
    """The fork server's launcher, minus one step: the child does not re-run the caller's main module.

    multiprocessing imports `__main__` again in every child it starts this way (for functions defined there). The
    child's function lives in this module, and the caller's main module is a command-line script — `creditbank`,
    gunicorn, pytest, a benchmark — whose import would cost each new child a second of imports, or worse, start
    something. This is Popen._launch of Python 3.11 with those keys left out of the preparation data.
    """

    def _launch(self, process_obj: Any) -> None:
        prep_data = {
            key: value
            for key, value in multiprocessing.spawn.get_preparation_data(process_obj._name).items()
            if key not in ("init_main_from_name", "init_main_from_path")
        }
        buf = io.BytesIO()
        multiprocessing.context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            multiprocessing.context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
        _parent_w = os.dup(w)
        close_fds = multiprocessing.util.close_fds  # type: ignore[attr-defined]
        self.finalizer = multiprocessing.util.Finalize(self, close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(multiprocessing.context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802  (multiprocessing's name)
        return _Popen(process_obj)


class _Child:
    def __init__(self, context: Any, memory: int) -> None:
        ours, theirs = context.Pipe(duplex=True)
        self.connection: Connection = ours
        self.process = _Process(target=_serve, args=(theirs, memory), daemon=True, name="creditbank-verify")
        self.process.start()
        theirs.close()
        self.idle = True  # no job under way: the pipe holds nothing unread

    def run(self, function: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any], seconds: float) -> T:
        kept: list[Callable[..., Any]] = []
        job = (
            function,
            tuple(_detach(arg, kept) for arg in args),
            {name: _detach(value, kept) for name, value in kwargs.items()},
            seconds,
        )
        self.connection.send_bytes(_dumps(job))
        self.idle = False
        failure: BaseException | None = None
        deadline = time.monotonic() + WALL_SECONDS
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.connection.poll(remaining):
                raise BudgetExceeded(WALL_SECONDS, "wall-clock")
            try:
                kind, *rest = _loads(self.connection.recv_bytes())
            except (EOFError, OSError):
                raise self._ended(seconds) from None
            if kind == "call":
                index, call_args, call_kwargs = rest
                try:
                    reply: tuple[str, Any] = ("return", kept[index](*call_args, **call_kwargs))
                except Exception as exc:
                    failure = exc
                    reply = ("raise", _CallbackFailed(f"{type(exc).__name__}: {exc}"))
                self.connection.send_bytes(_dumps(reply))
                continue
            self.idle = True
            if kind == "raise":
                # The callback's own error (a database that went away, say), if that is what ended the job.
                raise failure if isinstance(rest[0], _CallbackFailed) and failure is not None else rest[0]
            result: T = rest[0]
            return result

    def _ended(self, seconds: float) -> Exception:
        self.process.join(5)
        code = self.process.exitcode
        if code in (-signal.SIGPROF, -signal.SIGXCPU):
            return BudgetExceeded(seconds)
        return WorkerFailed(f"the verification process ended without an answer (exit status {code})")

    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> None:
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


class Pool:
    """A few verification children for this process."""

    def __init__(self, seconds: float = CPU_SECONDS, memory: int = MEMORY_BYTES) -> None:
        self.seconds = seconds
        self.memory = memory
        self._context = multiprocessing.get_context("forkserver")
        self._idle: list[_Child] = []
        self._lock = threading.Lock()  # guards the idle list only, never held during a job

    def run(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """function(*args, **kwargs) in a child under the CPU budget; its exceptions are raised here."""
        child = self._take()
        try:
            result = child.run(function, args, kwargs, self.seconds)
        except (BudgetExceeded, WorkerFailed):
            child.stop()
            raise
        except BaseException:
            # The job raised (a normal outcome) — or this thread was interrupted mid-conversation (a worker timeout,
            # say), leaving the child busy: only a child that gave its answer is reused.
            if child.idle and child.alive():
                self._give_back(child)
            else:
                child.stop()
            raise
        self._give_back(child)
        return result

    def _take(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.alive():
                    return child
                child.stop()
        _set_preload(self._context)
        return _Child(self._context, self.memory)

    def _give_back(self, child: _Child) -> None:
        with self._lock:
            if len(self._idle) < IDLE_CHILDREN:
                self._idle.append(child)
                return
        child.stop()

    def close(self) -> None:
        with self._lock:
            children, self._idle = self._idle, []
        for child in children:
            child.stop()


_preload_lock = threading.Lock()
_preloaded = False


def _set_preload(context: Any) -> None:
    global _preloaded
    with _preload_lock:
        if not _preloaded:
            context.set_forkserver_preload(_PRELOAD)
            _preloaded = True


_pools: dict[int, Pool] = {}
_pools_lock = threading.Lock()


def pool() -> Pool:
    """This process's pool (a forked process gets a new one: the children belong to the process that started them)."""
    pid = os.getpid()
    with _pools_lock:
        found = _pools.get(pid)
        if found is None:
            _pools.clear()
            found = _pools[pid] = Pool()
        return found


def run(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """function(*args, **kwargs) in one of this process's verification children, under the CPU budget."""
    return pool().run(function, *args, **kwargs)
