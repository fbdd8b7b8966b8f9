"""Text to AST: the Lark LALR parser, built once, plus error recovery and friendly messages.

The tree is turned into AST nodes *while* parsing (an inline transformer), which avoids building
an intermediate Lark tree; this is what keeps a 10,000-line spec well under a second.

Error recovery works at the level of top-level items: when a parse fails, the item holding the
error (from the previous line that starts a top-level item to the next one) is blanked out with
spaces, keeping every offset and line number, and the file is parsed again.  Each pass reports
one more error and keeps every well-formed item, so a file with three broken declarations gets
three diagnostics and the rest of it is still checked.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from hermes_dsl.diagnostics import Diagnostic, DiagnosticSink
from hermes_dsl.source import SourceFile, Span
from hermes_dsl.syntax import ast
from hermes_dsl.units import COUNT_SUFFIX, UnitError, parse_unit

GRAMMAR_PATH = Path(__file__).resolve().parents[2] / "grammar" / "hermes.lark"
MAX_SYNTAX_ERRORS = 20

_TOP_LEVEL = re.compile(
    r"^(hermes|import|param|hardware|rack|node|gpu|cpu|accel|memory|link|group|model|pipeline"
    r"|workload|experiment)\b",
    re.M,
)
_NUMBER = re.compile(r"(\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)[ \t]*(.*)", re.S)

# How terminals are named for people in "expected ..." hints.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "QUANTITY": "a number",
    "STRING": "a string",
    "UNIT": "a unit",
    "_NL": "a new line",
    "COMPARE": "a comparison (`<`, `<=`, `>`, `>=`)",
    "$END": "the end of the file",
}


class _NewlinesInBrackets:
    """Post-lexer: a newline inside ( ) or [ ] is whitespace, inside { } it ends a member."""

    always_accept = ("_NL",)

    def process(self, stream):  # type: ignore[no-untyped-def]
        depth: list[str] = []
        for tok in stream:
            kind = tok.type
            if kind == "_NL":
                if depth and depth[-1] != "{":
                    continue
            elif kind in ("LPAR", "LSQB", "LBRACE"):
                depth.append("{" if kind == "LBRACE" else "(")
            elif kind in ("RPAR", "RSQB", "RBRACE") and depth:
                depth.pop()
            yield tok


class _Builder(Transformer):
    """Lark callbacks building AST nodes; ``self.src`` maps offsets to spans."""

    def __init__(self, src: SourceFile) -> None:
        super().__init__()
        self.src = src

    # spans ------------------------------------------------------------------------------
    def _span(self, meta) -> Span:  # type: ignore[no-untyped-def]
        if getattr(meta, "empty", False):
            return self.src.span(0, 0)
        return self.src.span(meta.start_pos, meta.end_pos)

    def _tok(self, tok: Token) -> Span:
        return self.src.span(tok.start_pos, tok.end_pos)

    # expressions ------------------------------------------------------------------------
    @v_args(meta=True)
    def number(self, meta, children):  # type: ignore[no-untyped-def]
        tok = children[0]
        return _number(str(tok), self._tok(tok))

    @v_args(meta=True)
    def string(self, meta, children):  # type: ignore[no-untyped-def]
        raw = str(children[0])[1:-1]
        value = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), raw)
        return ast.String(value, self._span(meta))

    @v_args(meta=True)
    def true(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Bool(True, self._span(meta))

    @v_args(meta=True)
    def false(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Bool(False, self._span(meta))

    @v_args(meta=True)
    def ref(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Ref(tuple(children), self._span(meta))

    @v_args(meta=True)
    def ref_part(self, meta, children):  # type: ignore[no-untyped-def]
        sel = children[1] if len(children) > 1 else None
        return ast.RefPart(str(children[0]), sel, self._span(meta))

    @v_args(meta=True)
    def select_all(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.SelectAll(self._span(meta))

    @v_args(meta=True)
    def select_one(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.SelectOne(children[0], self._span(meta))

    @v_args(meta=True)
    def select_range(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.SelectRange(children[0], children[1], self._span(meta))

    @v_args(meta=True)
    def call(self, meta, children):  # type: ignore[no-untyped-def]
        name = children[0]
        args = []
        for c in children[1:]:
            if c is None:
                continue
            if isinstance(c, ast.Arg):
                args.append(c)
            else:
                args.append(ast.Arg(None, c, _span_of(c)))
        return ast.Call(str(name), tuple(args), self._span(meta), self._tok(name))

    @v_args(meta=True)
    def kwarg(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Arg(str(children[0]), children[1], self._span(meta))

    def arg_name(self, children):  # type: ignore[no-untyped-def]
        return children[0]

    def kind(self, children):  # type: ignore[no-untyped-def]
        return children[0]

    def field_name(self, children):  # type: ignore[no-untyped-def]
        return children[0]

    def clause_kw(self, children):  # type: ignore[no-untyped-def]
        return children[0]

    @v_args(meta=True)
    def list(self, meta, children):  # type: ignore[no-untyped-def]
        unit = ""
        items = [c for c in children if c is not None]
        if items and isinstance(items[-1], Token) and items[-1].type == "UNIT":
            unit = str(items.pop())
        return ast.ListExpr(tuple(items), unit, self._span(meta))

    @v_args(meta=True)
    def record(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Record(tuple(c for c in children if c is not None), self._span(meta))

    def _binop(self, op: str, meta, children):  # type: ignore[no-untyped-def]
        return ast.BinOp(op, children[0], children[1], self._span(meta))

    @v_args(meta=True)
    def add(self, meta, children):  # type: ignore[no-untyped-def]
        return self._binop("+", meta, children)

    @v_args(meta=True)
    def sub(self, meta, children):  # type: ignore[no-untyped-def]
        return self._binop("-", meta, children)

    @v_args(meta=True)
    def mul(self, meta, children):  # type: ignore[no-untyped-def]
        return self._binop("*", meta, children)

    @v_args(meta=True)
    def div(self, meta, children):  # type: ignore[no-untyped-def]
        return self._binop("/", meta, children)

    @v_args(meta=True)
    def neg(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Neg(children[0], self._span(meta))

    # members ----------------------------------------------------------------------------
    @v_args(meta=True)
    def field(self, meta, children):  # type: ignore[no-untyped-def]
        name = children[0]
        return ast.Field(str(name), children[1], self._span(meta), self._tok(name))

    @v_args(meta=True)
    def stage(self, meta, children):  # type: ignore[no-untyped-def]
        name = children[0]
        return ast.Stage(
            str(name), children[1], tuple(children[2:]), self._span(meta), self._tok(name)
        )

    @v_args(meta=True)
    def route(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Route(str(children[0]), children[1], self._span(meta), self._tok(children[0]))

    def flow_stage(self, children):  # type: ignore[no-untyped-def]
        return ast.FlowStage(str(children[0]), self._tok(children[0]))

    @v_args(meta=True)
    def flow_fan(self, meta, children):  # type: ignore[no-untyped-def]
        names = tuple(ast.FlowStage(str(t), self._tok(t)) for t in children)
        return ast.FlowFan(names, self._span(meta))

    def weighted(self, children):  # type: ignore[no-untyped-def]
        return (ast.FlowStage(str(children[0]), self._tok(children[0])), children[1])

    @v_args(meta=True)
    def flow_branch(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.FlowBranch(tuple(children), self._span(meta))

    @v_args(meta=True)
    def flow(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Flow(tuple(children), self._span(meta))

    @v_args(meta=True)
    def loop(self, meta, children):  # type: ignore[no-untyped-def]
        src, dst, times = children
        return ast.Loop(
            ast.FlowStage(str(src), self._tok(src)),
            ast.FlowStage(str(dst), self._tok(dst)),
            times,
            self._span(meta),
        )

    @v_args(meta=True)
    def run(self, meta, children):  # type: ignore[no-untyped-def]
        p, w = children
        return ast.Run(str(p), str(w), self._span(meta), self._tok(p), self._tok(w))

    @v_args(meta=True)
    def slo_item(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.SloItem(children[0], str(children[1]), children[2], self._span(meta))

    @v_args(meta=True)
    def slo(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Slo(tuple(children), self._span(meta))

    @v_args(meta=True)
    def sweep(self, meta, children):  # type: ignore[no-untyped-def]
        name = children[0]
        return ast.Sweep(str(name), children[1], self._span(meta), self._tok(name))

    @v_args(meta=True)
    def report(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Report(tuple(children), self._span(meta))

    def count(self, children):  # type: ignore[no-untyped-def]
        return ("count", children[0])

    def base(self, children):  # type: ignore[no-untyped-def]
        return ("base", children[0])

    def body(self, children):  # type: ignore[no-untyped-def]
        return ("body", tuple(c for c in children if c is not None))

    def clause(self, children):  # type: ignore[no-untyped-def]
        return (str(children[0]), tuple(children[1:]))

    @v_args(meta=True)
    def decl(self, meta, children):  # type: ignore[no-untyped-def]
        kind_tok, name_tok, *rest = children
        count = base = body = None
        connects: list[ast.Ref] = []
        shared: list[ast.Ref] = []
        for tag, value in rest:
            if tag == "count":
                count = value
            elif tag == "base":
                base = value
            elif tag == "body":
                body = value
            elif tag == "connects":
                connects.extend(value)
            else:
                shared.extend(value)
        return ast.Decl(
            kind=str(kind_tok),
            name=str(name_tok),
            count=count,
            base=base,
            body=body,
            connects=tuple(connects),
            shared_by=tuple(shared),
            span=self._span(meta),
            name_span=self._tok(name_tok),
            kind_span=self._tok(kind_tok),
        )

    # top level --------------------------------------------------------------------------
    @v_args(meta=True)
    def header(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Header(str(children[0]), self._span(meta))

    @v_args(meta=True)
    def import_name(self, meta, children):  # type: ignore[no-untyped-def]
        alias = str(children[1]) if len(children) > 1 else None
        return ast.ImportName(str(children[0]), alias, self._span(meta))

    def import_leaf(self, children):  # type: ignore[no-untyped-def]
        return ((str(children[0]),), None)

    def import_set(self, children):  # type: ignore[no-untyped-def]
        return ((), tuple(c for c in children if c is not None))

    def import_segment(self, children):  # type: ignore[no-untyped-def]
        head, (path, names) = children
        return ((str(head), *path), names)

    @v_args(meta=True)
    def import_stmt(self, meta, children):  # type: ignore[no-untyped-def]
        (path, names) = children[0]
        alias = str(children[1]) if len(children) > 1 and children[1] is not None else None
        return ast.Import(tuple(path), names, alias, self._span(meta))

    @v_args(meta=True)
    def param_decl(self, meta, children):  # type: ignore[no-untyped-def]
        name, typ, default = children
        return ast.Param(
            str(name), str(typ), default, self._span(meta), self._tok(name), self._tok(typ)
        )

    def start(self, children):  # type: ignore[no-untyped-def]
        return [c for c in children if c is not None]


def _span_of(node: object) -> Span:
    return node.span  # type: ignore[attr-defined]


def _number(text: str, span: Span) -> ast.Number:
    m = _NUMBER.match(text)
    assert m is not None  # the QUANTITY terminal guarantees the shape
    digits, unit = m[1].replace("_", ""), m[2].strip()
    value = float(digits)
    is_int = not any(c in digits for c in ".eE")
    if unit in COUNT_SUFFIX:
        value *= COUNT_SUFFIX[unit]
        unit = ""
    return ast.Number(value, unit, span, is_int and value == int(value))


@lru_cache(maxsize=1)
def _grammar_text() -> str:
    return GRAMMAR_PATH.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _plain_parser() -> Lark:
    """The parser used to find errors: builds no tree, just accepts or raises."""
    return Lark(
        _grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        postlex=_NewlinesInBrackets(),
        maybe_placeholders=True,
    )


def _terminal_phrase(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    try:
        term = _plain_parser().get_terminal(name)
    except KeyError:
        return name.lower()
    pattern = term.pattern
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return name.lower()


def expected_phrase(names: set[str] | frozenset[str]) -> str:
    """'expected a name, a number or `{`' from a set of terminal names, in a stable order."""
    words = sorted({_terminal_phrase(n) for n in names if n not in ("SEMICOLON",)})
    if "a new line" in words and "SEMICOLON" in names:
        words.remove("a new line")
        words.append("a new line or `;`")
    words.sort(key=lambda w: (not w.startswith("a "), w))
    if not words:
        return ""
    if len(words) > 8:
        words = [*words[:8], "..."]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _diagnose(err: UnexpectedInput, src: SourceFile) -> Diagnostic:
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream
        ch = src.text[pos] if pos < len(src.text) else ""
        span = src.span(pos, pos + 1)
        if ch == '"':
            return Diagnostic(
                "E0105",
                "unterminated string",
                span,
                hint='close the string with `"` on the same line',
            )
        expected = expected_phrase(set(err.allowed or ()))
        return Diagnostic(
            "E0101",
            f"unexpected character `{ch}`" if ch.strip() else "unexpected character",
            span,
            hint=f"expected {expected}" if expected else None,
        )
    if isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END"
    ):
        end = len(src.text)
        opener = _unclosed_bracket(src.text)
        if opener is not None:
            ch = src.text[opener]
            closer = {"{": "}", "(": ")", "[": "]"}[ch]
            return Diagnostic(
                "E0103",
                f"this `{ch}` is never closed",
                src.span(opener, opener + 1),
                hint=f"add the matching `{closer}`",
            )
        expected = expected_phrase(set(getattr(err, "expected", ()) or ()))
        return Diagnostic(
            "E0103",
            "unexpected end of file",
            src.span(max(0, end - 1), end),
            hint=f"expected {expected}" if expected else None,
        )
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    start = tok.start_pos if tok.start_pos is not None else 0
    end = tok.end_pos if tok.end_pos is not None else start + 1
    text = str(tok).strip() or "a new line"
    if tok.type == "_NL":
        start, end = start, start + 1
        text = "end of line"
    expected = expected_phrase(set(err.expected))
    hint = f"expected {expected}" if expected else None
    if tok.type == "QUANTITY" and "EQUAL" in err.expected:
        hint = "expected `=`: a field is written `name = value`"
    line_start = src.text.rfind("\n", 0, start) + 1
    glued = _GLUED_UNIT.search(src.text, line_start, start)
    if glued and not _is_unit(glued[2]):
        word = glued[2]
        return Diagnostic(
            "E0102",
            f"`{word}` reads as the unit of the number before it",
            src.span(glued.start(2), glued.end(2)),
            hint=f"is a `,` or a new line missing before `{word}`?",
        )
    message = f"unexpected {text}" if text == "end of line" else f"unexpected `{text}`"
    return Diagnostic("E0102", message, src.span(start, max(end, start + 1)), hint=hint)


_GLUED_UNIT = re.compile(r"(\d[\d_.]*)[ \t]+([A-Za-z_]\w*)[ \t]*$")


def _is_unit(word: str) -> bool:
    try:
        parse_unit(word)
    except UnitError:
        return False
    return True


def _unclosed_bracket(text: str) -> int | None:
    """Offset of the innermost opening bracket left open at the end of ``text``, if any."""
    stack: list[int] = []
    pairs = {"}": "{", ")": "(", "]": "["}
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        if ch == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if ch in "{([":
            stack.append(i)
        elif ch in pairs and stack and text[stack[-1]] == pairs[ch]:
            stack.pop()
        i += 1
    return stack[-1] if stack else None


def _blank_item(text: str, pos: int) -> str:
    """Replace the top-level item around ``pos`` by spaces, keeping newlines."""
    start = 0
    for m in _TOP_LEVEL.finditer(text):
        if m.start() <= pos:
            start = m.start()
        else:
            break
    nxt = _TOP_LEVEL.search(text, pos + 1)
    stop = nxt.start() if nxt and nxt.start() > start else len(text)
    if stop <= pos:
        stop = len(text)
    chunk = re.sub(r"[^\n]", " ", text[start:stop])
    return text[:start] + chunk + text[stop:]


def parse_module(src: SourceFile, sink: DiagnosticSink) -> ast.Module:
    """Parse one file into a Module, reporting syntax errors to ``sink``.

    Never raises on bad input: the Module holds every top-level item that parsed.
    """
    text = src.text
    if "\x00" in text:
        text = text.replace("\x00", " ")
    items: list[object] | None = None
    broken: list[str] = []
    for _ in range(MAX_SYNTAX_ERRORS):
        try:
            tree = _plain_parser().parse(text)
        except UnexpectedInput as err:
            diag = _diagnose(err, src)
            sink.add(diag)
            head = _item_name(text, diag.span.start)
            if head:
                broken.append(head)
            blanked = _blank_item(text, diag.span.start)
            if blanked == text:
                items = []
                break
            text = blanked
            continue
        except RecursionError:
            sink.error("E0106", "the spec is nested too deeply to parse", src.span(0, 0))
            items = []
            break
        items = _Builder(src).transform(tree)
        break
    else:
        sink.error("E0107", "too many syntax errors; stopped parsing here", src.span(0, 0))
        items = []
    return _module(src, items or [], sink, tuple(broken))


def _item_name(text: str, pos: int) -> str | None:
    """The name declared by the top-level item around ``pos`` (``pipeline serve`` -> serve)."""
    start = None
    for m in _TOP_LEVEL.finditer(text):
        if m.start() <= pos:
            start = m
        else:
            break
    if start is None:
        return None
    found = re.match(r"\w+[ \t]+([A-Za-z_]\w*)", text[start.start() : start.start() + 200])
    return found[1] if found else None


def _module(
    src: SourceFile, items: list[object], sink: DiagnosticSink, broken: tuple[str, ...] = ()
) -> ast.Module:
    header = None
    imports, params, decls = [], [], []
    for item in items:
        if isinstance(item, ast.Header):
            if header is not None:
                sink.error(
                    "E0104",
                    "a second `hermes` version line",
                    item.span,
                    hint="a file has one `hermes 1` line, at the top",
                )
            header = item
        elif isinstance(item, ast.Import):
            imports.append(item)
        elif isinstance(item, ast.Param):
            params.append(item)
        elif isinstance(item, ast.Decl):
            decls.append(item)
    return ast.Module(src.name, header, tuple(imports), tuple(params), tuple(decls), broken)
