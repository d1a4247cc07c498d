"""The house: the library decides, the CLI parses, calls and renders.

Read from the source with ``ast``, every import counted (inside functions and under
TYPE_CHECKING too): nothing outside ``jobctl/cli`` imports the CLI, Typer, Click or
rich; nothing outside ``cli/`` and ``sim/`` reads the process's streams or
environment but ``Client``'s one default; and no module or folder imports another
that imports it back, so no import runs back up.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import jobctl

PACKAGE = Path(jobctl.__file__).parent
UI = ("jobctl.cli", "typer", "click", "rich")
PROCESS_WIDE = {("sys", "stdin"), ("sys", "stdout"), ("sys", "stderr"), ("os", "environ")}
# The one read of the process's environment below the CLI: Client(env=None) means os.environ.
ALLOWED_READS = {("jobctl.client", "os.environ")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}


def imports(name: str) -> Iterator[str]:
    """Every module ``name`` imports, by its full name."""
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(TREES[name]):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base])
            for alias in node.names:  # `from pkg import submodule` imports the submodule
                sub = f"{base}.{alias.name}"
                yield sub if sub in MODULES else base


def inside(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_the_package_is_read_whole() -> None:
    assert {"jobctl.client", "jobctl.cli.app", "jobctl._watch.run", "jobctl._download.engine"} <= set(MODULES)


CLI_SIDE = ("jobctl.cli", "jobctl.__main__")


@pytest.mark.parametrize("name", [n for n in MODULES if not any(inside(n, c) for c in CLI_SIDE)])
def test_nothing_outside_the_cli_imports_the_cli_typer_or_rich(name: str) -> None:
    wrong = sorted({i for i in imports(name) if any(inside(i, ui) for ui in UI)})
    assert wrong == [], f"{name} imports {wrong}"


def process_reads(name: str) -> Iterator[str]:
    """``sys.stdout``, ``os.environ``... wherever ``name``'s code names one."""
    for node in ast.walk(TREES[name]):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            continue
        if (node.value.id, node.attr) in PROCESS_WIDE:
            yield f"{node.value.id}.{node.attr}"


@pytest.mark.parametrize(
    "name", [n for n in MODULES if not inside(n, "jobctl.cli") and not inside(n, "jobctl.sim")]
)
def test_below_the_cli_nothing_reads_the_processs_streams_or_environment(name: str) -> None:
    reads = sorted({r for r in process_reads(name) if (name, r) not in ALLOWED_READS})
    assert reads == [], f"{name} reads {reads}"


def test_the_client_reads_os_environ_once_as_its_default() -> None:
    assert list(process_reads("jobctl.client")) == ["os.environ"]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan), or with a self-loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                found.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def module_graph() -> dict[str, set[str]]:
    return {
        name: {i for i in imports(name) if i in MODULES and i != name and not inside(name, i)}
        for name in MODULES
    }


def folder(name: str) -> str:
    """The room a module stands in: its subpackage of jobctl, or itself at the top."""
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or MODULES[name].name == "__init__.py" else name


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert cycles(module_graph()) == []


def test_no_folder_imports_one_that_imports_it_back() -> None:
    graph: dict[str, set[str]] = {}
    for name, targets in module_graph().items():
        graph.setdefault(folder(name), set()).update(
            folder(t) for t in targets if folder(t) != folder(name) and folder(t) != "jobctl"
        )
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# --- the public API documents itself ------------------------------------------------------


def own_doc(obj: object) -> str:
    doc = getattr(obj, "__doc__", None) or ""
    name = getattr(obj, "__name__", "")
    # dataclasses and NamedTuples write "Name(field, ...)" when the class says nothing
    return "" if doc.startswith(f"{name}(") else doc.strip()


@pytest.mark.parametrize("name", jobctl.__all__)
def test_every_public_name_says_what_it_is(name: str) -> None:
    assert own_doc(getattr(jobctl, name)), name


@pytest.mark.parametrize("method", [m for m in vars(jobctl.Client) if not m.startswith("_")])
def test_every_public_client_method_says_what_it_does(method: str) -> None:
    assert own_doc(getattr(jobctl.Client, method)), method


@pytest.mark.parametrize("method", ["get", "get_many", "watch", "wait", "download"])
def test_the_main_client_methods_show_their_arguments_results_errors_and_an_example(method: str) -> None:
    doc = own_doc(getattr(jobctl.Client, method))
    assert "Returns:" in doc and "Example::" in doc, method
    if method != "get_many":  # it raises nothing: every ref's error is in the list
        assert "Raises:" in doc, method
    assert "Args:" in doc or method == "get_many", method


def test_every_exception_lives_in_errors_under_jobctl_error() -> None:
    import jobctl.errors

    for name in MODULES:
        for node in ast.walk(TREES[name]):
            if isinstance(node, ast.ClassDef) and name != "jobctl.errors":
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                assert not bases & {"Exception", "JobctlError", "ProviderError", "UsageError"} or name in (
                    # Signals caught where they are meant, never seen by a caller:
                    "jobctl.cli.context",  # OutputClosed: stdout's reader went away
                    "jobctl._watch.run",  # _TimedOut: inside one generator
                    "jobctl._http",  # Refused, TooManyRedirects: each caller words them
                    "jobctl.providers.declarative",  # Mistake: becomes a ConfigError naming its line
                ), f"{name}.{node.name}"
    errors = [getattr(jobctl.errors, n) for n in dir(jobctl.errors)]
    for error in (e for e in errors if isinstance(e, type) and issubclass(e, Exception)):
        assert issubclass(error, jobctl.JobctlError), error
    assert issubclass(jobctl.WaitTimeout, TimeoutError)
