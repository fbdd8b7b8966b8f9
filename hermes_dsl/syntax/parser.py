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

import math
import re
import threading
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from hermes_dsl.diagnostics import Diagnostic, DiagnosticSink
from hermes_dsl.source import SourceFile, Span
from hermes_dsl.syntax import ast
from hermes_dsl.units import COUNT_SUFFIX, UnitError, parse_unit

GRAMMAR_PATH = Path(__file__).resolve().parents[2] / "grammar" / "hermes.lark"
MAX_SYNTAX_ERRORS = 20
# Deepest nesting of expressions (operators, calls, lists) accepted; later phases recurse on
# expressions, so a limit here keeps a pathological spec from ending in a RecursionError.
MAX_EXPR_DEPTH = 100

_TOP_LEVEL = re.compile(
    r"^(hermes|import|param|hardware|rack|node|gpu|cpu|accel|memory|link|group|model|profile"
    r"|pipeline|workload|experiment)\b",
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


class _TooDeep(Exception):
    def __init__(self, span: Span) -> None:
        super().__init__("nested too deeply")
        self.span = span


# Token types that carry a value; every other token (keywords, punctuation, separators) is
# kept by the parser only for its position, so that a node's span covers all of its text.
_VALUE_TOKENS = frozenset({"NAME", "QUANTITY", "STRING", "UNIT", "COMPARE"})


class _Part:
    """An intermediate result (a count, a base, a body, an import path) with its span."""

    __slots__ = ("span", "tag", "value")

    def __init__(self, tag: str, value: object, span: Span) -> None:
        self.tag, self.value, self.span = tag, value, span


class _Builder(Transformer):
    """Lark callbacks building AST nodes, run by the LALR parser as it reduces each rule.

    The parser keeps every token (``keep_all_tokens``) so a node's span runs from its first
    token to its last, keywords and brackets included; ``_kids`` drops the tokens that carry
    no value.  One instance lives inside the (cached) Lark parser; ``parse_module`` sets
    ``src`` before each parse, under ``_PARSE_LOCK``.  Spans are made from the line/column
    positions Lark tracks for tokens, so no offset is looked up twice.
    """

    def __init__(self) -> None:
        super().__init__()
        self.name = "<none>"
        self.empty = Span("<none>", 0, 0, 1, 1, 1, 1)
        self.depth: dict[int, int] = {}  # id(expression node) -> nesting depth
        self.parens: dict[int, Span] = {}  # id(expression in parentheses) -> span with them

    def reset(self, src: SourceFile) -> None:
        self.name = src.name
        self.empty = src.span(0, 0)
        self.depth = {}
        self.parens = {}

    # spans ------------------------------------------------------------------------------
    def _tok(self, tok: Token) -> Span:
        return Span(
            self.name,
            tok.start_pos,
            tok.end_pos,
            tok.line,
            tok.column,
            tok.end_line,
            tok.end_column,
        )

    def _span(self, children: list) -> Span:  # type: ignore[type-arg]
        """From the start of the first child to the end of the last one."""
        first = last = None
        for c in children:
            if c is not None and not (isinstance(c, Token) and c.type == "_NL"):
                first = c
                break
        if first is None:
            return self.empty
        for c in reversed(children):
            if c is not None and not (isinstance(c, Token) and c.type == "_NL"):
                last = c
                break
        if isinstance(first, Token):
            start, line, col = first.start_pos, first.line, first.column
            if last is first:
                return Span(
                    self.name, start, first.end_pos, line, col, first.end_line, first.end_column
                )
        else:
            a = self.parens.get(id(first)) or first.span
            if last is first:
                return a
            start, line, col = a.start, a.line, a.col
        if isinstance(last, Token):
            return Span(self.name, start, last.end_pos, line, col, last.end_line, last.end_column)
        b = self.parens.get(id(last)) or last.span  # type: ignore[union-attr]
        return Span(self.name, start, b.end, line, col, b.end_line, b.end_col)

    def _outer(self, node) -> Span:  # type: ignore[no-untyped-def]
        """A child's span, with the parentheses around it if it was written in some."""
        return self.parens.get(id(node)) or node.span

    @staticmethod
    def _kids(children: list) -> list:  # type: ignore[type-arg]
        return [
            c
            for c in children
            if c is not None and (not isinstance(c, Token) or c.type in _VALUE_TOKENS)
        ]

    def _nest(self, node, children):  # type: ignore[no-untyped-def]
        """Record how deeply ``node`` nests expressions; refuse past MAX_EXPR_DEPTH."""
        depth = 1 + max((self.depth.get(id(c), 0) for c in children), default=0)
        if depth > MAX_EXPR_DEPTH:
            raise _TooDeep(node.span)
        self.depth[id(node)] = depth
        return node

    @staticmethod
    def _word(children: list) -> Token:  # type: ignore[type-arg]
        """A keyword used as a name (`kind`, `field_name`, ...), as a NAME token."""
        tok = children[0]
        tok.type = "NAME"  # a fresh token, used by nothing else
        return tok

    # expressions ------------------------------------------------------------------------
    def atom(self, children):  # type: ignore[no-untyped-def]
        inner = self._kids(children)[0]  # `( expr )`: the expression, its span without them
        self.parens[id(inner)] = self._span(children)
        return inner

    def number(self, children):  # type: ignore[no-untyped-def]
        tok = children[0]
        return _number(str(tok), self._tok(tok))

    def string(self, children):  # type: ignore[no-untyped-def]
        tok = children[0]
        raw = str(tok)[1:-1]
        value = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), raw)
        return ast.String(value, self._tok(tok))

    def true(self, children):  # type: ignore[no-untyped-def]
        return ast.Bool(True, self._tok(children[0]))

    def false(self, children):  # type: ignore[no-untyped-def]
        return ast.Bool(False, self._tok(children[0]))

    def ref(self, children):  # type: ignore[no-untyped-def]
        parts = self._kids(children)
        node = ast.Ref(tuple(parts), self._span(children))
        sels = [p.selector for p in parts if p.selector is not None]
        if not sels:
            return node
        inner = [getattr(s, a) for s in sels for a in ("index", "start", "stop") if hasattr(s, a)]
        return self._nest(node, inner)

    def ref_part(self, children):  # type: ignore[no-untyped-def]
        kids = self._kids(children)
        sel = kids[1] if len(kids) > 1 else None
        return ast.RefPart(str(kids[0]), sel, self._span(children))

    def select_all(self, children):  # type: ignore[no-untyped-def]
        return ast.SelectAll(self._span(children))

    def select_one(self, children):  # type: ignore[no-untyped-def]
        return ast.SelectOne(self._kids(children)[0], self._span(children))

    def select_range(self, children):  # type: ignore[no-untyped-def]
        a, b = self._kids(children)
        return ast.SelectRange(a, b, self._span(children))

    def call(self, children):  # type: ignore[no-untyped-def]
        name, *rest = self._kids(children)
        args = [c if isinstance(c, ast.Arg) else ast.Arg(None, c, c.span) for c in rest]
        node = ast.Call(str(name), tuple(args), self._span(children), self._tok(name))
        return self._nest(node, [a.value for a in args])

    def kwarg(self, children):  # type: ignore[no-untyped-def]
        name, value = self._kids(children)
        return ast.Arg(str(name), value, self._span(children))

    def arg_name(self, children):  # type: ignore[no-untyped-def]
        return self._word(children)

    def kind(self, children):  # type: ignore[no-untyped-def]
        return self._word(children)

    def field_name(self, children):  # type: ignore[no-untyped-def]
        return self._word(children)

    def clause_kw(self, children):  # type: ignore[no-untyped-def]
        return self._word(children)

    def list(self, children):  # type: ignore[no-untyped-def]
        items = self._kids(children)
        unit = ""
        if items and isinstance(items[-1], Token) and items[-1].type == "UNIT":
            unit = str(items.pop())
        return self._nest(ast.ListExpr(tuple(items), unit, self._span(children)), items)

    def record(self, children):  # type: ignore[no-untyped-def]
        fields = tuple(self._kids(children))
        return self._nest(ast.Record(fields, self._span(children)), [f.value for f in fields])

    def _binop(self, op: str, children):  # type: ignore[no-untyped-def]
        a, b = self._kids(children)
        return self._nest(ast.BinOp(op, a, b, self._span(children)), (a, b))

    def add(self, children):  # type: ignore[no-untyped-def]
        return self._binop("+", children)

    def sub(self, children):  # type: ignore[no-untyped-def]
        return self._binop("-", children)

    def mul(self, children):  # type: ignore[no-untyped-def]
        return self._binop("*", children)

    def div(self, children):  # type: ignore[no-untyped-def]
        return self._binop("/", children)

    def neg(self, children):  # type: ignore[no-untyped-def]
        (operand,) = self._kids(children)
        return self._nest(ast.Neg(operand, self._span(children)), (operand,))

    # members ----------------------------------------------------------------------------
    def field(self, children):  # type: ignore[no-untyped-def]
        name, value = self._kids(children)
        return ast.Field(str(name), value, self._span(children), self._tok(name))

    def stage(self, children):  # type: ignore[no-untyped-def]
        name, call, *on = self._kids(children)
        return ast.Stage(str(name), call, tuple(on), self._span(children), self._tok(name))

    def route(self, children):  # type: ignore[no-untyped-def]
        name, policy = self._kids(children)
        return ast.Route(str(name), policy, self._span(children), self._tok(name))

    def flow_stage(self, children):  # type: ignore[no-untyped-def]
        return ast.FlowStage(str(children[0]), self._tok(children[0]))

    def flow_fan(self, children):  # type: ignore[no-untyped-def]
        names = tuple(ast.FlowStage(str(t), self._tok(t)) for t in self._kids(children))
        return ast.FlowFan(names, self._span(children))

    def weighted(self, children):  # type: ignore[no-untyped-def]
        name, weight = self._kids(children)
        return _Part("weighted", (ast.FlowStage(str(name), self._tok(name)), weight), weight.span)

    def flow_branch(self, children):  # type: ignore[no-untyped-def]
        arms = tuple(p.value for p in self._kids(children))
        return ast.FlowBranch(arms, self._span(children))

    def flow(self, children):  # type: ignore[no-untyped-def]
        return ast.Flow(tuple(self._kids(children)), self._span(children))

    def loop(self, children):  # type: ignore[no-untyped-def]
        src, dst, times = self._kids(children)
        return ast.Loop(
            ast.FlowStage(str(src), self._tok(src)),
            ast.FlowStage(str(dst), self._tok(dst)),
            times,
            self._span(children),
        )

    def run(self, children):  # type: ignore[no-untyped-def]
        p, w = self._kids(children)
        return ast.Run(str(p), str(w), self._span(children), self._tok(p), self._tok(w))

    def slo_item(self, children):  # type: ignore[no-untyped-def]
        metric, op, bound = self._kids(children)
        return ast.SloItem(metric, str(op), bound, self._span(children))

    def slo(self, children):  # type: ignore[no-untyped-def]
        return ast.Slo(tuple(self._kids(children)), self._span(children))

    def sweep(self, children):  # type: ignore[no-untyped-def]
        name, values = self._kids(children)
        return ast.Sweep(str(name), values, self._span(children), self._tok(name))

    def report(self, children):  # type: ignore[no-untyped-def]
        return ast.Report(tuple(self._kids(children)), self._span(children))

    def count(self, children):  # type: ignore[no-untyped-def]
        return _Part("count", self._kids(children)[0], self._span(children))

    def base(self, children):  # type: ignore[no-untyped-def]
        return _Part("base", self._kids(children)[0], self._span(children))

    def body(self, children):  # type: ignore[no-untyped-def]
        return _Part("body", tuple(self._kids(children)), self._span(children))

    def clause(self, children):  # type: ignore[no-untyped-def]
        kw, *refs = self._kids(children)
        return _Part(str(kw), tuple(refs), self._span(children))

    def decl(self, children):  # type: ignore[no-untyped-def]
        kind_tok, name_tok, *rest = self._kids(children)
        count = base = body = None
        connects: list[ast.Ref] = []
        shared: list[ast.Ref] = []
        for part in rest:
            if part.tag == "count":
                count = part.value
            elif part.tag == "base":
                base = part.value
            elif part.tag == "body":
                body = part.value
            elif part.tag == "connects":
                connects.extend(part.value)
            else:
                shared.extend(part.value)
        return ast.Decl(
            kind=str(kind_tok),
            name=str(name_tok),
            count=count,
            base=base,
            body=body,
            connects=tuple(connects),
            shared_by=tuple(shared),
            span=self._span(children),
            name_span=self._tok(name_tok),
            kind_span=self._tok(kind_tok),
        )

    # top level --------------------------------------------------------------------------
    def header(self, children):  # type: ignore[no-untyped-def]
        return ast.Header(str(self._kids(children)[0]), self._span(children))

    def import_name(self, children):  # type: ignore[no-untyped-def]
        kids = self._kids(children)
        alias = str(kids[1]) if len(kids) > 1 else None
        return ast.ImportName(str(kids[0]), alias, self._span(children))

    def import_leaf(self, children):  # type: ignore[no-untyped-def]
        return _Part("path", ((str(children[0]),), None), self._span(children))

    def import_set(self, children):  # type: ignore[no-untyped-def]
        return _Part("path", ((), tuple(self._kids(children))), self._span(children))

    def import_segment(self, children):  # type: ignore[no-untyped-def]
        head, rest = self._kids(children)
        path, names = rest.value
        return _Part("path", ((str(head), *path), names), self._span(children))

    def import_stmt(self, children):  # type: ignore[no-untyped-def]
        kids = self._kids(children)
        path, names = kids[0].value
        alias = str(kids[1]) if len(kids) > 1 else None
        return ast.Import(tuple(path), names, alias, self._span(children))

    def param_decl(self, children):  # type: ignore[no-untyped-def]
        name, typ, default = self._kids(children)
        return ast.Param(
            str(name), str(typ), default, self._span(children), self._tok(name), self._tok(typ)
        )

    def start(self, children):  # type: ignore[no-untyped-def]
        return self._kids(children)


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
    # a literal past the float range is inf: the resolver reports it (E0304), not int()
    return ast.Number(value, unit, span, is_int and math.isfinite(value) and value == int(value))


@lru_cache(maxsize=1)
def _grammar_text() -> str:
    return GRAMMAR_PATH.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _parser() -> tuple[Lark, _Builder]:
    """The LALR parser with its inline builder: parsing yields AST nodes, not a Lark tree.

    Lark keeps the analysed grammar in a cache file (keyed by the grammar text and the Lark
    version), which saves most of the start-up time of a `hermes` command.
    """
    builder = _Builder()
    lark = Lark(
        _grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=_NewlinesInBrackets(),
        maybe_placeholders=True,
        keep_all_tokens=True,
        transformer=builder,
        cache=True,
    )
    return lark, builder


class _Fallback(Exception):
    """The fast driver met something it does not handle; Lark parses the text instead."""


class _Tok(Token):
    __slots__ = ()


_BLANKS = "[\t \f]+"  # the grammar's `%ignore /[\t \f]+/`, as Lark writes its regexp
_OPENERS = {"LPAR": "(", "LSQB": "(", "LBRACE": "{"}
_CLOSERS = frozenset({"RPAR", "RSQB", "RBRACE"})


class _FastDriver:
    """Lark's LALR tables, contextual lexers and rule callbacks, run by one tight loop.

    Lark's own loop (a lexer generator, the post-lexer generator and ``feed_token``) spends
    most of its time on per-token overhead.  This driver does the same steps in the same
    order with the same objects: each token is matched with the scanner of the lexer Lark
    chose for the current parser state (so keywords used as names lex exactly as with Lark's
    contextual lexer), keywords are told from names by Lark's own callbacks (memoised),
    newlines inside ( ) and [ ] are dropped as ``_NewlinesInBrackets`` does, and every
    reduction calls the callback Lark would.  On any input it cannot parse it raises
    ``_Fallback`` and ``parse_module`` lets Lark parse the text, so syntax errors are
    reported by Lark, exactly as before.
    """

    def __init__(self, lark: Lark) -> None:
        from lark.parse_tree_builder import ExpandSingleChild
        from lark.parsers.lalr_analysis import Shift

        frontend = lark.parser
        lalr = frontend.parser
        table = lalr._parse_table
        callbacks = lalr.parser.callbacks
        (start,) = frontend.parser_conf.start
        self.start_state = table.start_states[start]
        self.end_state = table.end_states[start]
        self.states: dict[int, dict[str, object]] = {}
        for state, actions in table.states.items():
            row: dict[str, object] = {}
            for term, (action, arg) in actions.items():
                if action is Shift:
                    row[term] = arg
                    continue
                size, callback = len(arg.expansion), callbacks[arg]
                if size == 1 and type(callback) is ExpandSingleChild:
                    callback = None  # `?rule: one_symbol`: the child is the result
                elif arg.origin.name.startswith("_"):
                    callback = _inline_callback(callback)
                row[term] = (size, callback, arg.origin.name)
            self.states[state] = row
        if any(not isinstance(k, type(next(iter(callbacks)))) for k in callbacks):
            raise TypeError("terminal callbacks are not supported by the fast driver")
        self.contextual = frontend.lexer.lexer
        self.lexers: dict[int, tuple] = {}  # type: ignore[type-arg]
        self._by_lexer: dict[int, tuple] = {}  # type: ignore[type-arg]

    def _lexer(self, state: int) -> tuple:  # type: ignore[type-arg]
        lexer = self.contextual.lexers[state]
        info = self._by_lexer.get(id(lexer))
        if info is None:
            scanner = lexer.scanner  # builds the regexps and the keyword callbacks
            if len(scanner._mres) != 1:
                raise _Fallback
            mre = scanner._mres[0]
            # Blanks are an ignored terminal that no other terminal can start with, so skipping
            # them in front of every match (group 1) lexes the same tokens in fewer steps.
            blanks = [t for t in scanner.terminals if t.pattern.to_regexp() == _BLANKS]
            if not blanks or blanks[0].name not in lexer.ignore_types:
                raise _Fallback
            info = (
                re.compile(f"({_BLANKS[:-1]}*)(?:{mre.pattern})", mre.flags).match,
                lexer.ignore_types,
                lexer.newline_types,
                lexer.callback,
                {},  # (type, text) -> type after the keyword callbacks
            )
            self._by_lexer[id(lexer)] = info
        self.lexers[state] = info
        return info

    def parse(self, text: str) -> object:
        states = self.states
        lexers = self.lexers
        end_state = self.end_state
        stack: list[int] = [self.start_state]
        values: list[object] = []
        depth: list[str] = []
        openers, closers = _OPENERS, _CLOSERS
        new = str.__new__
        tok_cls = _Tok
        pos, n = 0, len(text)
        line, line_start = 1, 0
        while True:
            if pos < n:
                info = lexers.get(stack[-1]) or self._lexer(stack[-1])
                m = info[0](text, pos)
                if m is None:
                    raise _Fallback
                start = m.end(1)
                end = pos = m.end()
                value = text[start:end]
                typ = m.lastgroup
                start_line, col = line, start - line_start + 1
                if typ in info[2]:
                    k = value.count("\n")
                    if k:
                        line += k
                        line_start = start + value.rindex("\n") + 1
                if typ in info[1]:
                    continue
                if typ in info[3]:
                    memo = info[4]
                    key = (typ, value)
                    kind = memo.get(key)
                    if kind is None:
                        kind = memo[key] = info[3][typ](Token(typ, value)).type
                    typ = kind
                if typ == "_NL":
                    if depth and depth[-1] != "{":
                        continue
                elif typ in openers:
                    depth.append(openers[typ])
                elif typ in closers and depth:
                    depth.pop()
                tok = new(tok_cls, value)
                tok.type = typ
                tok.value = value
                tok.start_pos = start
                tok.line = start_line
                tok.column = col
                tok.end_line = line
                tok.end_column = end - line_start + 1
                tok.end_pos = end
            else:
                typ = "$END"
                tok = None
            while True:
                action = states[stack[-1]].get(typ)
                if action is None:
                    raise _Fallback
                if action.__class__ is int:
                    if tok is None:
                        raise _Fallback
                    stack.append(action)  # type: ignore[arg-type]
                    values.append(tok)
                    break
                size, callback, origin = action  # type: ignore[misc]
                if callback is None:
                    stack[-1] = states[stack[-2]][origin]  # type: ignore[assignment]
                    continue
                if size:
                    children = values[-size:]
                    del stack[-size:]
                    del values[-size:]
                else:
                    children = []
                values.append(callback(children))
                stack.append(states[stack[-1]][origin])  # type: ignore[arg-type]
                if tok is None and stack[-1] == end_state:
                    return values[-1]


class _Inline:
    """What a rule named `_...` makes: its children, spliced into the parent's by Lark's child
    filter (which reads only ``.children``); Lark would make a whole ``Tree`` for it."""

    __slots__ = ("children",)

    def __init__(self, children: list) -> None:  # type: ignore[type-arg]
        self.children = children


def _inline_callback(callback):  # type: ignore[no-untyped-def]
    from functools import partial

    from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders

    if isinstance(callback, partial):
        return _Inline
    if type(callback) is ChildFilterLALR_NoPlaceholders and isinstance(
        callback.node_builder, partial
    ):
        return ChildFilterLALR_NoPlaceholders(callback.to_include, _Inline)
    return callback


@lru_cache(maxsize=1)
def _fast() -> _FastDriver | None:
    try:
        return _FastDriver(_parser()[0])
    except Exception:  # an unexpected Lark version: parse with Lark itself
        return None


_PARSE_LOCK = threading.Lock()


def _plain_parser() -> Lark:
    return _parser()[0]


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


def _diagnose(err: UnexpectedInput, src: SourceFile, text_now: str | None = None) -> Diagnostic:
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
    here = src.span(start, max(end, start + 1))
    source = text_now if text_now is not None else src.text
    opener = _unclosed_bracket(source[:start])
    line_start = source.rfind("\n", 0, start) + 1
    # a pipeline or experiment statement written outside its block
    block = _MEMBER_BLOCK.get(str(tok))
    if block and opener is None and tok.type not in ("NAME", "UNIT"):
        return Diagnostic(
            "E0401",
            f"`{tok}` must be inside a `{block}`",
            here,
            hint=f"write it in a `{block} NAME {{ ... }}` block",
        )
    # `(` or `[` left open: newlines inside them are not separators, so the parser only
    # notices on a later line; point at the bracket instead
    if (
        opener is not None
        and source[opener] in "(["
        and not source[line_start:start].strip()
        and opener < line_start
        and _unclosed_bracket(source) == opener
    ):
        ch = source[opener]
        closer = {"(": ")", "[": "]"}[ch]
        return Diagnostic(
            "E0103",
            f"this `{ch}` is never closed",
            src.span(opener, opener + 1),
            hint=f"add the matching `{closer}` before the end of its line",
        )
    glued = _GLUED_UNIT.search(source, line_start, start)
    if glued and not _is_unit(glued[2]):
        word = glued[2]
        return Diagnostic(
            "E0102",
            f"`{word}` reads as the unit of the number before it",
            src.span(glued.start(2), glued.end(2)),
            hint=f"is a `,` or a new line missing before `{word}`?",
        )
    line_end = source.find("\n", start)
    line = source[line_start : line_end if line_end >= 0 else len(source)]
    if line.split("#")[0].count('"') % 2:
        return Diagnostic(
            "E0102",
            f"unexpected `{text}` after a string",
            here,
            hint='this line has an odd number of `"`: is a string missing its closing `"`?',
        )
    if (
        opener is not None
        and source[opener] in "(["
        and "COMMA" in err.expected
        and tok.type in ("NAME", "UNIT", "QUANTITY", "STRING")
    ):
        what = "arguments" if source[opener] == "(" else "list items"
        return Diagnostic(
            "E0102",
            f"missing `,` before `{text}`",
            here,
            hint=f"{what} are separated by `,`",
        )
    if "EQUAL" in err.expected and tok.type != "_NL":
        before = _WORD_BEFORE.search(source, line_start, start)
        if before:
            return Diagnostic(
                "E0102",
                f"missing `=` after `{before[1]}`",
                here,
                hint=f"a field is written `name = value`: `{before[1]} = {text}`",
            )
    message = f"unexpected {text}" if text == "end of line" else f"unexpected `{text}`"
    return Diagnostic("E0102", message, here, hint=hint)


_MEMBER_BLOCK = {
    "stage": "pipeline",
    "route": "pipeline",
    "flow": "pipeline",
    "loop": "pipeline",
    "run": "experiment",
    "slo": "experiment",
    "sweep": "experiment",
    "report": "experiment",
}
_WORD_BEFORE = re.compile(r"([A-Za-z_]\w*)[ \t]*$")


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


def _item_start(text: str, pos: int) -> int:
    """Offset of the line starting the top-level item that holds ``pos``."""
    start = 0
    for m in _TOP_LEVEL.finditer(text, 0, pos + 1):
        start = m.start()
    return start


def _blank_item(text: str, pos: int) -> str:
    """Replace the top-level item around ``pos`` by spaces, keeping newlines."""
    start = _item_start(text, pos)
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
    lark, builder = _parser()
    errors = 0
    while items is None:
        diag: Diagnostic | None = None
        try:
            with _PARSE_LOCK:
                builder.reset(src)
                try:
                    items = _parse_text(lark, builder, src, text)
                finally:
                    builder.reset(_NO_SOURCE)
        except UnexpectedInput as err:
            diag = _diagnose(err, src, text)
        except _TooDeep as err:
            diag = Diagnostic(
                "E0106",
                "this expression is nested too deeply",
                err.span,
                hint=f"at most {MAX_EXPR_DEPTH} levels of operators, calls and lists",
            )
        except RecursionError:
            diag = Diagnostic("E0106", "the spec is nested too deeply to parse", src.span(0, 0))
        if diag is None:
            break
        head = _item_name(text, diag.span.start)
        if head:
            broken.append(head)
        errors += 1
        if errors > MAX_SYNTAX_ERRORS:
            # keep what parsed before this item; drop the rest of the file
            start = _item_start(text, diag.span.start)
            sink.error(
                "E0107",
                f"more than {MAX_SYNTAX_ERRORS} syntax errors; stopped parsing here",
                diag.span,
                hint="fix the errors above and check again",
            )
            text = text[:start] + re.sub(r"[^\n]", " ", text[start:])
            errors = -(10**9)  # the rest is blank: no error can come from it
            continue
        sink.add(diag)
        blanked = _blank_item(text, diag.span.start)
        if blanked == text:
            items = []
            break
        text = blanked
    return _module(src, items or [], sink, tuple(broken))


_NO_SOURCE = SourceFile("<none>", "")


def _parse_text(lark: Lark, builder: _Builder, src: SourceFile, text: str) -> list[object]:
    """Parse with the fast driver; on any trouble let Lark parse (and report) it."""
    fast = _fast()
    if fast is not None:
        try:
            return fast.parse(text)  # type: ignore[return-value]
        except Exception:  # Lark parses it again and reports the problem as it always has
            builder.reset(src)
    return lark.parse(text)  # type: ignore[return-value]


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
