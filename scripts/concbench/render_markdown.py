"""A document (document.py) as markdown (GitHub's): what comes from the
files is escaped so that it shows as itself (see below)."""

import re

from concbench.document import (Bullets, Figure, Heading, Table, Text, Title,
                                flat)

# Every text that goes into the output, which holds names,
# labels, paths, context values and error messages from the files, is
# escaped so that it shows as itself and stays in its line and cell: a
# line break or other control character is shown as its escape (\n), and
# what Markdown or HTML would take for syntax is escaped (backslashes,
# backticks, pipes, brackets, tags, entities, emphasis, strikethrough and
# math marks, and at the start of a line what would begin a heading, a quote
# or a list); a code cell gets a fence of more backticks than it holds.
MD_CONTROL = re.compile(r"\r\n|[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
MD_INLINE = re.compile(r"[\\`|\[\]*_~$#]|<(?=[A-Za-z/!?])|&(?=#?\w+;)")
MD_LINE_START = re.compile(r"([#>+=*-])|([0-9]{1,9})([.)])")


def md_visible(text):
    """text with each control character (tab aside) as its escape: a
    newline as the two characters \\n."""
    return MD_CONTROL.sub(lambda m: m.group().encode("unicode_escape")
                          .decode(), text)


def md_mark(text, i):
    """Whether the *, _, ~ or $ at text[i] could open or close emphasis,
    strikethrough or (GitHub's) math: not one between spaces, nor _
    inside a word."""
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if before.isspace() and after.isspace():
        return False
    return not (text[i] == "_" and before.isalnum() and after.isalnum())


def md_inline(text, heading=False):
    """Text for a paragraph, list item, heading or table cell."""
    def escape(m):
        c, i = m.group(), m.start()
        if c == "<":
            return "&lt;"
        if c == "&":
            return "&amp;"
        if c in "*_~$" and not md_mark(text, i):
            return c
        if c == "#" and not heading:
            return c
        return "\\" + c
    text = MD_INLINE.sub(escape, text)
    return md_visible(text)


def md_line(text):
    """Text for a line of its own (a paragraph, a list item): also
    nothing at its start that begins a block."""
    text = md_inline(text.lstrip(" \t"))
    m = MD_LINE_START.match(text)
    if m and m.group(1):
        return "\\" + text
    if m:
        return m.group(2) + "\\" + text[m.end(2):]
    return text


def md_code(text):
    """A code span showing text as it is (in a table: pipes escaped,
    which GitHub's tables undo inside code too)."""
    text = md_visible(text).replace("|", "\\|")
    fence = "`" * (max(map(len, re.findall(r"`+", text)), default=0) + 1)
    if text.startswith(("`", " ")) or text.endswith(("`", " ")):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def md_cell(c):
    return md_code(c.text) if c.code and c.text else md_inline(c.text)


def markdown_table(tab):
    rule = ["---:" if a == "r" else "---" for a in tab.align]
    headers = [md_inline(h.replace("\n", "")) for h in tab.headers]
    lines = ["| " + " | ".join(headers) + " |",
             "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |"
              for row in tab.rows]
    return lines


def md_item(item):
    """A list item: text, or a Cell that links somewhere."""
    if getattr(item, "link", None):
        return f"[{md_inline(item.text)}]({item.link})"
    return md_line(getattr(item, "text", item))


def render_markdown(blocks):
    lines = []
    for block in flat(blocks):
        if isinstance(block, Title):
            lines += [f"# {md_inline(block.text, heading=True)}", ""]
        elif isinstance(block, Heading):
            lines += [f"{'#' * block.level} "
                      f"{md_inline(block.text, heading=True)}", ""]
        elif isinstance(block, Text):
            lines += [md_line(block.text), ""]
        elif isinstance(block, Bullets):
            lines += [f"- {md_item(item)}" for item in block.items] + [""]
        elif isinstance(block, Table):
            lines += markdown_table(block) + [""]
        elif isinstance(block, Figure):
            lines += [f"(chart: {md_inline(block.name)})", ""]
    return "\n".join(lines)
