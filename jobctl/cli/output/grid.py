"""A table that fits the width it is given: columns that give way in a set order on a
narrow terminal, and text cut with an ellipsis, never wrapped; on a terminal too
narrow for the columns that are never cut, a line per row instead."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Union

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.text import Text


@dataclass(frozen=True)
class Column:
    """One column of a ``Grid``: its header and how its values may be shortened.

    ``cut`` None means a value is shown whole or not at all (numbers, durations,
    statuses: ``11s`` must never read as ``11``); "middle" keeps an id's start and
    end; "end" cuts text after its start. Either way an ellipsis shows the cut.
    """

    header: str
    cut: Literal["middle", "end"] | None = None
    min_width: int = 0  # the narrowest a "cut" step makes it
    max_width: int | None = None  # wider values are always cut (at the end)


# How a Grid gives way when the line is short of room: each step is taken in turn
# until the last column has room for the start of its text.
Step = tuple[Literal["drop", "compact", "cut"], str]

# A cell is a Text, or (full, compact) forms of it; "compact" switches to the second.
Cell = Union["Text", tuple["Text", "Text"]]


class Grid:
    """A one-line-per-row table that fits the width it is given, cheap for thousands of rows.

    Columns are as wide as their content; the last takes what is left of the line and
    is cut at the end. When the line is short, ``steps`` drop or shorten columns in
    order (see README, "Narrow terminals"). rich's Table measures every cell several
    times, which costs ~0.4 s at 1,000 rows; this measures once and renders each row once.
    """

    GAP = 2
    # Steps are taken until the last column has this many cells, or a third of the line.
    LAST_MIN = 20
    # A last column given fewer cells says nothing ("O…", "[n…"): it is left out instead.
    LAST_FLOOR = 10

    def __init__(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Cell]],
        steps: Sequence[Step] = (),
        line_of: Callable[[Sequence[Cell]], Text] | None = None,
    ):
        self.columns = columns
        self.rows = [[c if isinstance(c, tuple) else (c, c) for c in row] for row in rows]
        self.steps = steps
        # A row as one line, shown instead (cut at the width, as a table row would be) where
        # the width cannot hold the columns no step drops, each whole or cut no further
        # than it may be.
        self.line_of = line_of
        self.index = {c.header: n for n, c in enumerate(columns)}
        # Natural width of each column in each form (full, compact), header included.
        self.natural = [
            tuple(
                min(
                    col.max_width or 1_000_000,
                    max([len(col.header), *(r[n][f].cell_len for r in self.rows)]),
                )
                for f in (0, 1)
            )
            for n, col in enumerate(columns)
        ]

    def layout(self, width: int, ellipsis: str) -> tuple[list[int], list[int], list[int]]:
        """(columns shown, form of each column, width of each column) for a line of ``width`` cells."""
        last = len(self.columns) - 1
        # Room for the last column's text, not its header: an empty column costs nothing.
        content = max((row[last][0].cell_len for row in self.rows), default=0)
        shown, form, widths = self._steps_taken(width, ellipsis, min(content, max(self.LAST_MIN, width // 3)))
        widths[last] = max(0, width - sum(widths[n] + self.GAP for n in shown))
        if widths[last] >= self.LAST_FLOOR or 0 < content <= widths[last]:
            return [*shown, last], form, widths
        # Left out, the last column needs no room: only the steps the others need are taken,
        # and what a later step freed goes back to a column cut before it.
        shown, form, widths = self._steps_taken(width, ellipsis, -self.GAP)
        spare = width - sum(widths[n] + self.GAP for n in shown) + self.GAP
        for action, header in self.steps:
            n = self.index[header]
            if action == "cut" and n in shown and spare > 0:
                wider = min(self.natural[n][0], widths[n] + spare)
                spare -= wider - widths[n]
                widths[n] = wider
        return shown, form, widths

    def _steps_taken(self, width: int, ellipsis: str, want: int) -> tuple[list[int], list[int], list[int]]:
        """The steps taken, in order, until ``want`` cells are left after the other columns."""
        last = len(self.columns) - 1
        shown = list(range(last))
        form = [0] * len(self.columns)
        widths = [nat[0] for nat in self.natural]

        def short() -> int:
            return want - (width - sum(widths[n] + self.GAP for n in shown))

        for action, header in self.steps:
            if short() <= 0:
                break
            n = self.index[header]
            if action == "drop":
                shown.remove(n)
            elif action == "compact":
                form[n], widths[n] = 1, self.natural[n][1]
            else:
                cut = max(self._floor(n, ellipsis), widths[n] - short())
                widths[n] = min(widths[n], self._distinct_width(n, cut, ellipsis))  # never wider
        return shown, form, widths

    def lines(self) -> list[Text]:
        """Each row as one line (``line_of``), for a width below ``narrowest``."""
        return [self.line_of(row) for row in self.rows] if self.line_of is not None else []

    def _floor(self, n: int, ellipsis: str) -> int:
        """The narrowest a "cut" step makes column ``n``."""
        return max(self.columns[n].min_width, len(ellipsis) + 2)

    def narrowest(self, ellipsis: str = "…") -> int:
        """The fewest cells a line of the table needs: every step taken, the last column
        left out. Below it, the rows are shown as lines (``line_of``)."""
        shown, _, widths = self._steps_taken(0, ellipsis, 1_000_000)
        return sum(widths[n] for n in shown) + self.GAP * (len(shown) - 1)

    def _distinct_width(self, n: int, width: int, ellipsis: str) -> int:
        """``width``, widened until no two different ids are cut to the same text."""
        values = {row[n][0].plain for row in self.rows}
        while width < self.natural[n][0]:
            if len({cut_middle(v, width, ellipsis) for v in values}) == len(values):
                break
            width += 1
        return width

    def _line(
        self,
        cells: Sequence[Text],
        columns: Sequence[Column],
        widths: Sequence[int],
        width: int,
        ellipsis: str,
    ) -> Text:
        from rich.text import Text

        line = Text(no_wrap=True, end="")
        used = 0
        for n, (cell, column, cell_width) in enumerate(zip(cells, columns, widths, strict=True)):
            part = fit(cell, cell_width, ellipsis, column.cut or "end")
            shown = part.cell_len
            pad = cell_width - shown if n < len(cells) - 1 and shown < cell_width else 0
            line.append_text(part)
            if n < len(cells) - 1:
                line.append(" " * (pad + self.GAP))
            used += shown + pad + self.GAP
        line.rstrip()
        return line if used - self.GAP <= width else fit(line, width, ellipsis)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment
        from rich.text import Text

        ellipsis = "..." if options.ascii_only else "…"
        width = options.max_width
        shown, form, all_widths = self.layout(width, ellipsis)
        # Every step taken and still too wide (below ``narrowest``): a line per row.
        if self.line_of is not None and sum(all_widths[n] + self.GAP for n in shown) - self.GAP > width:
            for line in self.lines():
                yield from fit(line, width, ellipsis).render(console)
                yield Segment.line()
            return
        columns = [self.columns[n] for n in shown]
        widths = [all_widths[n] for n in shown]
        headers = [Text(c.header, style="bold") for c in columns]
        yield from self._line(headers, columns, widths, width, ellipsis).render(console)
        yield Segment.line()
        rule = "-" if options.ascii_only else "─"
        yield Segment(rule * min(width, sum(widths) + self.GAP * (len(widths) - 1)), console.get_style("dim"))
        yield Segment.line()
        for row in self.rows:
            cells = [row[n][form[n]] for n in shown]
            yield from self._line(cells, columns, widths, width, ellipsis).render(console)
            yield Segment.line()


def cut_middle(value: str, width: int, ellipsis: str = "…") -> str:
    """``value`` in at most ``width`` cells, its start and end kept around an ellipsis."""
    from rich.cells import cell_len

    if cell_len(value) <= width:
        return value
    room = max(0, width - len(ellipsis))
    head = _take(value, room - room // 2)
    tail = _take(value[::-1], room // 2)[::-1]
    return head + ellipsis + tail


def _take(value: str, cells: int) -> str:
    """The longest start of ``value`` that fits in ``cells``."""
    if value.isascii():  # clean text: one cell a character
        return value[: max(0, cells)]
    from rich.cells import cell_len

    total = 0
    for n, char in enumerate(value):
        total += cell_len(char)
        if total > cells:
            return value[:n]
    return value


def fit(text: Text, width: int, ellipsis: str = "…", where: str = "end") -> Text:
    """``text`` cut to ``width`` cells with an ellipsis (at its end or in its middle)."""
    if text.cell_len <= width:
        return text
    from rich.text import Text

    if where == "middle":
        return Text(cut_middle(text.plain, width, ellipsis), style=text.style)
    if width <= len(ellipsis):
        return Text(ellipsis[:width], style=text.style)
    part = text.copy()
    part.plain = _take(part.plain, width - len(ellipsis)).rstrip()
    part.append(ellipsis)
    return part
