"""A document (document.py) as HTML: the body of report's page.

Every text is escaped (Markup aside: the program's own prose, HTML
already); a Cell with a value is a number the table sorts by (class
"num", data-v), a "head" cell is bold and another style is the cell's
class (STYLE_CLASSES), as a paragraph's and a row's style are theirs.
"""

import html

from concbench.document import (Bullets, Cell, Figure, Group, Heading,
                                Markup, Table, Text, Title)

# The class that shows a style, where it is not the style's own name.
STYLE_CLASSES = {"bad": "flag"}


def esc(value):
    """value as HTML text: escaped, unless it is Markup."""
    if isinstance(value, Markup):
        return str(value)
    return html.escape(str(value), quote=True)


def css_class(style):
    return f' class="{STYLE_CLASSES.get(style, style)}"' if style else ""


def html_cell(c):
    if c.value is not None:
        return f'<td class="num" data-v="{c.value!r}">{esc(c.text)}</td>'
    if c.style == "head":
        return f"<td><b>{esc(c.text)}</b></td>"
    return f"<td{css_class(c.style)}>{esc(c.text)}</td>"


def html_table(tab):
    head = "".join(f"<th>{esc(h.replace(chr(10), ''))}</th>"
                   for h in tab.headers)
    styles = tab.row_styles or [None] * len(tab.rows)
    body = "".join(f"<tr{css_class(style)}>{''.join(map(html_cell, row))}"
                   "</tr>" for row, style in zip(tab.rows, styles))
    kind = ' class="sortable"' if tab.sortable else ""
    return (f"<table{kind}><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def html_item(item):
    if isinstance(item, Cell) and item.link:
        return f'<li><a href="{esc(item.link)}">{esc(item.text)}</a></li>'
    return f"<li>{esc(getattr(item, 'text', item))}</li>"


def render_block(block):
    if isinstance(block, Title):
        return f"<h1>{esc(block.text)}</h1>"
    if isinstance(block, Heading):
        anchor = f' id="{esc(block.anchor)}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{esc(block.text)}</h{block.level}>"
    if isinstance(block, Text):
        return f"<p{css_class(block.style)}>{esc(block.text)}</p>"
    if isinstance(block, Bullets):
        return (f"<ul{css_class(block.style)}>"
                + "".join(map(html_item, block.items)) + "</ul>")
    if isinstance(block, Table):
        return html_table(block)
    if isinstance(block, Figure):
        return f'<figure data-chart="{esc(block.name)}">{block.svg}</figure>'
    if isinstance(block, Group):
        inner = block.sep.join(map(render_block, block.blocks))
        return f"<div{css_class(block.style)}>{inner}</div>" \
            if block.style else inner
    raise TypeError(f"not a block: {block!r}")


def render_html(blocks, sep="\n"):
    """The blocks as HTML, joined by sep."""
    return sep.join(map(render_block, blocks))
