"""The sync rule expression language, as far as the member limit needs it.

Source: Microsoft's "Azure AD Connect sync: Understanding Declarative Provisioning Expressions"
and the functions reference. Facts this parser relies on:
- attributes are written `[name]`, strings in double quotes (a `\\"` inside one is a quote),
  numbers in decimal;
- operators `< <= <> = > >= & + - * / && ||` all have the same priority and evaluate left to
  right: only parentheses group;
- function names are case-sensitive (`IIF`, `ValueCount`, `Error`); `IgnoreThisFlow` is a
  constant written without parentheses.

The limit is read from the shape of the parsed tree, never by searching the text, and the text
is only ever changed at the exact span of the number, so everything else stays byte for byte.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

_OPERATORS = ("<=", ">=", "<>", "&&", "||", "<", ">", "=", "&", "+", "-", "*", "/")
LIMIT_ERROR_MESSAGE = "Maximum Group member count exceeded"


class ExpressionError(ValueError):
    """An expression this module cannot understand; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # str, num, attr, ident, op, "(", ")", ","
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the tree: `kind` is call, attr, str, num, name, binop or paren."""

    kind: str
    value: str
    children: tuple[Node, ...]
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise ExpressionError(f"unterminated string starting at column {i + 1}")
            tokens.append(Token("str", "".join(buf), i, j + 1))
            i = j + 1
        elif c == "[":
            j = text.find("]", i)
            if j < 0 or j == i + 1:
                raise ExpressionError(f"unterminated or empty attribute at column {i + 1}")
            tokens.append(Token("attr", text[i + 1 : j], i, j + 1))
            i = j + 1
        elif c.isdigit():
            j = i
            while j < n and text[j].isdigit():
                j += 1
            if j < n and (text[j].isalpha() or text[j] in "._"):
                raise ExpressionError(f"not a decimal number at column {i + 1}")
            if j - i > MAX_NUMBER_DIGITS or not text[i:j].isascii():
                raise ExpressionError(f"not a member count at column {i + 1}: {text[i:j][:20]}")
            tokens.append(Token("num", text[i:j], i, j))
            i = j
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(Token("ident", text[i:j], i, j))
            i = j
        elif c in "(),":
            tokens.append(Token(c, c, i, i + 1))
            i += 1
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise ExpressionError(f"unexpected character {c!r} at column {i + 1}")
            tokens.append(Token("op", op, i, i + len(op)))
            i += len(op)
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str) -> Token:
        tok = self.peek()
        if tok is None:
            raise ExpressionError(f"expected {kind!r}, got the end of the expression")
        if tok.kind != kind:
            raise ExpressionError(f"expected {kind!r}, got {tok.text!r} at column {tok.start + 1}")
        self.pos += 1
        return tok

    def expression(self) -> Node:
        left = self.primary()
        while (tok := self.peek()) is not None and tok.kind == "op":
            self.pos += 1
            right = self.primary()
            left = Node("binop", tok.text, (left, right), left.start, right.end)
        return left

    def primary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise ExpressionError("expression ends where a value was expected")
        self.pos += 1
        if tok.kind == "(":
            inner = self.expression()
            close = self.take(")")
            return Node("paren", "", (inner,), tok.start, close.end)
        if tok.kind == "op" and tok.text == "-":
            num = self.take("num")
            return Node("num", "-" + num.text, (), tok.start, num.end)
        if tok.kind in ("str", "num", "attr"):
            return Node(tok.kind, tok.text, (), tok.start, tok.end)
        if tok.kind == "ident":
            nxt = self.peek()
            if nxt is None or nxt.kind != "(":
                return Node("name", tok.text, (), tok.start, tok.end)
            self.pos += 1
            args: list[Node] = []
            if (p := self.peek()) is not None and p.kind == ")":
                close = self.take(")")
                return Node("call", tok.text, (), tok.start, close.end)
            while True:
                args.append(self.expression())
                sep = self.peek()
                if sep is not None and sep.kind == ",":
                    self.pos += 1
                    continue
                close = self.take(")")
                return Node("call", tok.text, tuple(args), tok.start, close.end)
        raise ExpressionError(f"unexpected {tok.text!r} at column {tok.start + 1}")


# Far beyond any rule's expression: longer or deeper ones are refused, not parsed.
MAX_LENGTH = 10_000
MAX_NUMBER_DIGITS = 18


def parse(text: str) -> Node:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters")
    parser = _Parser(text)
    try:
        node = parser.expression()
    except RecursionError:
        raise ExpressionError("nested too deeply") from None
    rest = parser.peek()
    if rest is not None:
        raise ExpressionError(f"unexpected {rest.text!r} at column {rest.start + 1}")
    return node


def _strip(node: Node) -> Node:
    while node.kind == "paren":
        node = node.children[0]
    return node


def _is_member_count(node: Node) -> bool:
    node = _strip(node)
    if node.kind == "attr" and node.value == "memberCount":
        return True
    return (
        node.kind == "call"
        and node.value == "ValueCount"
        and [(c.kind, c.value) for c in map(_strip, node.children)] == [("str", "member")]
    )


def _limit_number(condition: Node) -> Node:
    """The number node N of a condition meaning "member count above N"."""
    cond = _strip(condition)
    if cond.kind != "binop":
        raise ExpressionError("the IIF condition is not a comparison of the member count")
    left, right = (_strip(c) for c in cond.children)
    if cond.value in (">", ">=") and _is_member_count(left) and right.kind == "num":
        return right
    if cond.value in ("<", "<=") and _is_member_count(right) and left.kind == "num":
        return left
    raise ExpressionError('the IIF condition is not of the form [memberCount] > N or ValueCount("member") > N')


def _limit_node(tree: Node) -> tuple[Node, int]:
    """(number node, adjustment): the limit is int(number) + adjustment."""
    root = _strip(tree)
    if root.kind != "call" or root.value != "IIF" or len(root.children) != 3:
        raise ExpressionError("expected IIF(condition, Error(...), IgnoreThisFlow) at the top")
    condition, then, otherwise = (_strip(c) for c in root.children)
    if then.kind != "call" or then.value != "Error":
        raise ExpressionError("the IIF's second argument is not Error(...)")
    if otherwise.kind != "name" or otherwise.value != "IgnoreThisFlow":
        raise ExpressionError("the IIF's third argument is not IgnoreThisFlow")
    number = _limit_number(condition)
    op = _strip(condition).value
    # "count >= N" and "N <= count" error from N on, so the largest group allowed is N - 1.
    return number, (-1 if op in (">=", "<=") else 0)


@functools.lru_cache(maxsize=1024)
def member_limit(text: str) -> int:
    """The largest member count the `member` flow lets through; ExpressionError if not understood."""
    number, adjust = _limit_node(parse(text))
    value = int(number.value) + adjust
    if value < 0:
        raise ExpressionError(f"member limit {value} is negative")
    return value


@functools.lru_cache(maxsize=1024)
def with_member_limit(text: str, limit: int) -> str:
    """The same expression carrying `limit`; only the number's own characters change."""
    number, adjust = _limit_node(parse(text))
    return text[: number.start] + str(limit - adjust) + text[number.end :]


def writeup_member_expression(limit: int) -> str:
    """The member flow of 'Out to AAD - Group Writeup Member Limit' (1.6.2.4 and later; azure-docs #75330)."""
    return (
        f'IIF((ValueCount("member")> {limit}),Error("{LIMIT_ERROR_MESSAGE}. Visit '
        'https://go.microsoft.com/fwlink/?linkid=2154336 for more information."),IgnoreThisFlow)'
    )


def standard_member_expression(limit: int) -> str:
    """The member flow exactly as the standard rule writes it (real 1.1.130.0 export)."""
    return f'IIF(([memberCount]> {limit}),Error("{LIMIT_ERROR_MESSAGE}"),IgnoreThisFlow)'
