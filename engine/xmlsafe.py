"""Parsing untrusted XML (BPMN and DMN uploads) without letting the file reach outside itself.

SpiffWorkflow parses with lxml's default parser, which resolves entities; a diagram edited in a
browser is untrusted input.  Every definition file is parsed here instead and the tree is handed to
the library.  A file may not declare a DOCTYPE at all: BPMN and DMN never need one, and refusing it
outright removes external entities (reading local files or URLs) and entity-expansion bombs
("billion laughs") as a class, before the parser ever sees the declarations.
"""

from __future__ import annotations

import re

from lxml import etree

from .errors import DefinitionError, Problem

MAX_FILE_BYTES = 5 * 1024 * 1024

# Matched on the bytes with NULs removed, so UTF-16/UTF-32 encoded declarations are caught too.
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_POSITION_SUFFIX = re.compile(r",\s*line \d+,\s*column \d+\s*$")


def _parser() -> etree.XMLParser:
    """A parser that never resolves entities, loads DTDs or touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def _fail(filename: str, line: int | None, reason: str) -> DefinitionError:
    """Wrap one problem with ``filename`` into the error the caller raises."""
    return DefinitionError([Problem(filename, line, None, reason)])


def _declaration_line(data: bytes) -> int | None:
    """The line of the first DOCTYPE/ENTITY declaration in ``data``, if there is one."""
    compact = data.replace(b"\x00", b"")
    match = _DECLARATION.search(compact)
    if match is None:
        return None
    return compact.count(b"\n", 0, match.start()) + 1


def _syntax_reason(error: etree.XMLSyntaxError) -> str:
    """lxml's message without the position suffix (the line is reported separately)."""
    message = _POSITION_SUFFIX.sub("", (error.msg or str(error)).strip())
    return f"not well-formed XML: {message}"


def parse_xml(data: bytes, *, filename: str) -> etree._ElementTree:
    """Parse ``data`` with the hardened parser; DefinitionError unless it is safe, plain XML."""
    if len(data) > MAX_FILE_BYTES:
        size_mib = len(data) / (1024 * 1024)
        limit_mib = MAX_FILE_BYTES // (1024 * 1024)
        raise _fail(filename, None, f"file is {size_mib:.1f} MiB; the limit is {limit_mib} MiB")
    line = _declaration_line(data)
    if line is not None:
        raise _fail(filename, line, "file declares a DOCTYPE/entities, which is not allowed")
    if not data.strip():
        raise _fail(filename, None, "file is empty")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise _fail(filename, error.lineno or None, _syntax_reason(error)) from None
    except (ValueError, etree.LxmlError) as error:
        raise _fail(filename, None, f"not well-formed XML: {error}") from None
    tree = root.getroottree()
    # Defence in depth: an encoding the byte scan does not see could still smuggle a DOCTYPE in.
    info = tree.docinfo
    if info.internalDTD is not None or info.externalDTD is not None or info.doctype:
        raise _fail(filename, None, "file declares a DOCTYPE/entities, which is not allowed")
    return tree
