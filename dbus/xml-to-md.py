#!/usr/bin/env python3
# Renders dbus/org.passthru1.xml, the single source of truth for the D-Bus API, as Markdown: every interface,
# method, signal and property with the comment that precedes it in the XML.   xml-to-md.py IN.xml OUT.md
import sys
import xml.dom.minidom


def comment_before(node):
    """The XML comment right before node, whitespace collapsed, or ''."""
    prev = node.previousSibling
    while prev is not None and prev.nodeType == prev.TEXT_NODE and not prev.data.strip():
        prev = prev.previousSibling
    if prev is not None and prev.nodeType == prev.COMMENT_NODE:
        return " ".join(prev.data.split())
    return ""


def args(node, direction):
    return ", ".join(f"{a.getAttribute('name')} {a.getAttribute('type')}"
                     for a in node.getElementsByTagName("arg")
                     if a.getAttribute("direction") in (direction, "" if direction == "in" else direction))


def main():
    doc = xml.dom.minidom.parse(sys.argv[1])
    out = ["# The org.passthru1 D-Bus API", "",
           "Generated from `dbus/org.passthru1.xml` (installed to share/dbus-1/interfaces); edit that, not this.",
           "Bus name `org.passthru1` on the system bus; the manager is at `/org/passthru1`.", ""]
    for iface in doc.getElementsByTagName("interface"):
        name = iface.getAttribute("name")
        if name.startswith("org.freedesktop."):
            continue
        out += [f"## {name}", ""]
        note = comment_before(iface)
        if note:
            out += [note, ""]
        for kind, title in (("property", "Properties"), ("method", "Methods"), ("signal", "Signals")):
            items = [n for n in iface.childNodes if n.nodeType == n.ELEMENT_NODE and n.tagName == kind]
            if not items:
                continue
            out += [f"### {title}", ""]
            for n in items:
                if kind == "property":
                    head = f"`{n.getAttribute('name')}` `{n.getAttribute('type')}` ({n.getAttribute('access')})"
                elif kind == "method":
                    ins, outs = args(n, "in"), args(n, "out")
                    head = f"`{n.getAttribute('name')}({ins})`" + (f" → `({outs})`" if outs else "")
                else:
                    head = f"`{n.getAttribute('name')}({args(n, '')})`"
                text = comment_before(n)
                out += [f"- {head}" + (f": {text}" if text else "")]
            out += [""]
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
