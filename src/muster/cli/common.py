"""What every ``muster`` command shares: the console, the database, error reporting.

rich is imported when something is first printed or logged, not before:
``muster agent run`` prints one line, and importing rich costs it about a
sixth of its running time.

Python's cyclic garbage collector is paused while a ``muster`` process loads
its modules (``pause_collector`` at the start, ``resume_collector`` once the
command runs, ``loading`` around a command's own imports). Importing makes
hundreds of thousands of objects (classes, functions, schemas) that live as
long as the process; the collector ran some 300 times while ``muster sweep``
imported its modules and found nothing to free: 70 ms of a 0.9 s command.
What was loaded is then frozen (``gc.freeze``), out of later collections.
"""

import gc
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import typer
from typer.core import TyperGroup

from muster.cmdb.errors import ConfigurationError, MusterError
from muster.cmdb.gcpause import collector_paused

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import Console

_Model = TypeVar("_Model", bound="BaseModel")


# Whether this process is the `muster` command (main), which may pause the collector.
_paused_at_start = False
_own_process = False


def pause_collector() -> None:
    """Pause the cyclic garbage collector while the `muster` process starts."""
    global _paused_at_start, _own_process
    _own_process = True
    if gc.isenabled():
        gc.disable()
        _paused_at_start = True


def resume_collector() -> None:
    """End the pause of ``pause_collector``: freeze what was loaded, collect again."""
    global _paused_at_start
    if _paused_at_start:
        _paused_at_start = False
        gc.freeze()
        gc.enable()


@contextmanager
def loading() -> Iterator[None]:
    """Around a command's imports: the collector paused, then what they made frozen.

    Only in a `muster` process: elsewhere (tests driving the app) nothing changes.
    """
    if not _own_process or not gc.isenabled():
        yield
        return
    with collector_paused():
        try:
            yield
        finally:
            gc.freeze()


class _ConsoleOnFirstUse:
    """A rich Console made, with these options, the first time it is used."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def _made(self) -> "Console":
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._made(), name)

    # Python looks special methods up on the class, not through __getattr__;
    # rich's live displays (progress bars) use the console as a context manager.
    def __enter__(self) -> "Console":
        return self._made().__enter__()

    def __exit__(self, *exc_info: object) -> None:
        self._made().__exit__(*exc_info)


console = cast("Console", _ConsoleOnFirstUse())
# Messages on stderr are not hard-wrapped: they end up in logs and are searched.
error_console = cast("Console", _ConsoleOnFirstUse(stderr=True, soft_wrap=True))


def escape(text: str) -> str:
    """Escape rich markup in text shown inside a marked-up message."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


class _RichHandlerOnFirstRecord(logging.Handler):
    """Hands log records to rich's handler on stderr, made when the first record comes."""

    def __init__(self) -> None:
        super().__init__()
        self._handler: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._handler is None:
            from rich.logging import RichHandler

            self._handler = RichHandler(console=error_console, show_path=False, markup=False)
            self._handler.setFormatter(self.formatter)
        self._handler.emit(record)


class MusterGroup(TyperGroup):
    """Turns Muster's own exceptions into clean error messages instead of tracebacks."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MusterError as exc:
            error_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(code=1) from exc


def new_app(help_text: str) -> typer.Typer:
    """Return a sub-command group with Muster's conventions."""
    return typer.Typer(
        help=help_text,
        cls=MusterGroup,
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
    )


@dataclass
class AppState:
    """Options of the top-level command, handed to every sub-command."""

    database_url: str | None = None


def state(ctx: typer.Context) -> AppState:
    """Return the top-level options from any command's context."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def open_database(ctx: typer.Context) -> Any:
    """Open the CMDB the top-level options name, creating its schema if it is empty."""
    from muster.cmdb.db import Database

    database = Database(state(ctx).database_url)
    database.ensure_schema()
    return database


def setup_logging(verbose: int) -> None:
    """Send log records to stderr through rich; -v for info, -vv for debug."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level,
        format="%(name)s: %(message)s",
        handlers=[_RichHandlerOnFirstRecord()],
    )
    # alembic announces each of its plugins at info level: noise unless -vv.
    logging.getLogger("alembic.runtime.plugins").setLevel(
        logging.WARNING if verbose < 2 else logging.DEBUG
    )


def validated(
    model: type[_Model], values: Mapping[str, object], *, options: Mapping[str, str] = {}
) -> _Model:
    """Check options with the model the API and files use; name each bad option and its value.

    An option is named ``--field-name`` unless ``options`` maps the field to another.
    """
    from pydantic import ValidationError

    from muster.cmdb.observation import clean_validation_message, describe_field_error

    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            field = ".".join(str(part) for part in error["loc"])
            if not field:  # a rule over several options
                problems.append(clean_validation_message(error))
                continue
            option = options.get(field, "--" + field.replace("_", "-"))
            problems.append(f"{option}: {describe_field_error(error)}")
        raise ConfigurationError("; ".join(problems)) from exc
