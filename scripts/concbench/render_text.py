"""A document (document.py) as text for a terminal: tables aligned in
columns, prose wrapped at TEXT_WIDTH, colour only when asked (compare: when
stdout is a terminal and NO_COLOR is unset)."""

import textwrap

from concbench.document import (Bullets, Figure, Heading, Table, Text, Title,
                                flat)

TEXT_WIDTH = 79     # prose; tables are as wide as they need
COLOURS = {"good": "32", "bad": "31", "warn": "33", "head": "1"}


def paint(text, style, colour):
    if not colour or style not in COLOURS:
        return text
    return f"\033[{COLOURS[style]}m{text}\033[0m"


def pad(text, width, align):
    return text.rjust(width) if align == "r" else text.ljust(width)


def text_table(tab, colour):
    heads = [h.split("\n") for h in tab.headers]
    depth = max(len(h) for h in heads)
    heads = [[""] * (depth - len(h)) + h for h in heads]   # bottom-aligned
    widths = [max([len(part) for part in h] + [len(r[i].text)
                                               for r in tab.rows])
              for i, h in enumerate(heads)]
    lines = []
    for level in range(depth):
        header = "  ".join(pad(h[level], w, a) for h, w, a
                           in zip(heads, widths, tab.align))
        lines.append("  " + paint(header.rstrip(), "head", colour))
    lines.append("  " + "  ".join("-" * w for w in widths))
    for row in tab.rows:
        cells = [paint(pad(c.text, w, a), c.style, colour)
                 for c, w, a in zip(row, widths, tab.align)]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def render_text(blocks, colour=False):
    lines = []
    for block in flat(blocks):
        if isinstance(block, Title):
            lines += [paint(block.text, "head", colour),
                      "=" * len(block.text)]
        elif isinstance(block, Heading):
            lines += ["", paint(block.text, "head", colour),
                      "-" * len(block.text)]
        elif isinstance(block, Text):
            lines += textwrap.wrap(block.text, TEXT_WIDTH,
                                   break_on_hyphens=False)
        elif isinstance(block, Bullets):
            lines += [paint(line, block.style, colour)
                      for item in block.items
                      for line in textwrap.wrap(getattr(item, "text", item),
                                                TEXT_WIDTH,
                                                break_on_hyphens=False,
                                                initial_indent="  ",
                                                subsequent_indent="    ")]
        elif isinstance(block, Table):
            lines += text_table(block, colour)
        elif isinstance(block, Figure):
            lines.append(f"[chart: {block.name}]")
    return "\n".join(lines) + "\n"
