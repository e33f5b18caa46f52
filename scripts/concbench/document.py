"""The document model that compare and report build and the renderers show:
text for a terminal (render_text), markdown (render_markdown) and HTML
(render_html).

A document is a list of blocks: a Title, Headings, paragraphs (Text),
lists (Bullets), Tables of Cells, charts (Figure, HTML only) and Groups
of blocks.  What comes from the files (names, labels, paths, context
values, error messages) is plain text: each renderer escapes it for its
format.  A style is a name ("good", "bad", "warn", "head"; "note",
"advice" for a paragraph; "differs" for a row); a renderer shows those it
knows and leaves the others plain.
"""

from dataclasses import dataclass, field


class Markup(str):
    """Text the program wrote as HTML already (its own prose, with no tag or
    entity in it): the HTML renderer writes it as it is, the others as
    text."""


@dataclass
class Cell:
    text: str
    style: str = None
    code: bool = False      # a name or path from a file: shown as code
    value: object = None    # HTML: the number the column sorts by
    link: str = None        # HTML: where the text links to ("#label")


@dataclass
class Title:
    text: str


@dataclass
class Heading:
    text: str
    level: int = 2
    anchor: str = None      # HTML: the heading's id


@dataclass
class Text:
    text: str
    style: str = None


@dataclass
class Bullets:
    items: list             # of text or Cells
    style: str = None


@dataclass
class Table:
    headers: list           # "\n" splits a header over lines in text output
    align: str              # "l" / "r" per column (text and markdown)
    rows: list              # lists of Cells
    sortable: bool = True   # HTML: sorts on a click on a header
    row_styles: list = None  # a style per row, or None


@dataclass
class Figure:
    name: str               # the chart's file name
    svg: str                # the chart as SVG (HTML only)


@dataclass
class Group:
    """Blocks that belong together; in HTML joined by sep, and in a
    <div class="STYLE"> when styled."""

    blocks: list = field(default_factory=list)
    sep: str = "\n"
    style: str = None


def cell(value):
    return value if isinstance(value, Cell) else Cell(value)


def table(headers, align, rows, **kwargs):
    """A Table of rows of Cells or plain texts."""
    return Table(headers, align, [[cell(v) for v in row] for row in rows],
                 **kwargs)


def flat(blocks):
    """The blocks with every Group replaced by its blocks, in order."""
    for block in blocks:
        if isinstance(block, Group):
            yield from flat(block.blocks)
        else:
            yield block
