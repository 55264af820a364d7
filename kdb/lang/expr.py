"""Expressions of the mdb command language: evaluated as they are parsed.

mdb's yacc grammar evaluates expressions in its actions; :class:`ExprParser`
does the same by recursive descent with mdb's precedences (docs/language.md,
"Operators"), against the session's dot, variables, symbols and memory.
Nesting is bounded at :data:`~kdb.lang.lexer.MAX_NESTING` levels.
"""

from __future__ import annotations

from kdb.errors import ParseAbort, ReadError, SyntaxFault
from kdb.lang.lexer import BINOPS, MAX_NESTING, Lexer, Token
from kdb.numbers import MASK64, signed, strtonum


class ExprParser(Lexer):
    """The expression layer of the parser."""

    def _starts_expr(self, tok: Token) -> bool:
        if tok.kind in self._EXPR_START:
            return True
        return tok.kind == "OP" and tok.text in ("(", "-", "~", "#", "*", "%", "&", "+", "^", "'")

    def expr(self, state: str = "INITIAL", min_prec: int = 1) -> int:
        left = self.unary(state)
        while True:
            tok = self.peek(state)
            if tok.kind != "OP" or tok.text not in BINOPS:
                return left
            prec = BINOPS[tok.text]
            if prec < min_prec:
                return left
            self.take(state)
            right = self.expr(state, prec + 1)
            left = self._binop(tok.text, left, right)

    def _binop(self, op: str, a: int, b: int) -> int:
        if op == "|":
            return a | b
        if op == "^":
            return a ^ b
        if op == "&":
            return a & b
        if op == "==":
            return int(a == b)
        if op == "!=":
            return int(a != b)
        if op == "<<":
            return (a << (b & 63)) & MASK64
        if op == ">>":
            return a >> (b & 63)
        if op == "+":
            return (a + b) & MASK64
        if op == "-":
            return (a - b) & MASK64
        if op == "*":
            return (a * b) & MASK64
        if op in ("%", "#"):
            if b == 0:
                raise SyntaxFault("attempted to divide by zero")
            sa, sb = signed(a), signed(b)
            if sa == -(1 << 63) and sb == -1:
                raise SyntaxFault("divide overflow")
            if op == "%":
                q = abs(sa) // abs(sb)
                return (q if (sa < 0) == (sb < 0) else -q) & MASK64
            num = sa + sb - 1
            q = abs(num) // abs(sb)
            q = q if (num < 0) == (sb < 0) else -q
            return (q * sb) & MASK64
        if op == "%%":
            if b == 0:
                raise SyntaxFault("attempted to divide by zero")
            return a % b
        raise SyntaxFault("syntax error")  # pragma: no cover

    def unary(self, state: str) -> int:
        # Every level of nesting, '(' or a prefix operator, passes through here.
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                raise SyntaxFault(f"syntax error: expression nested more than {MAX_NESTING} deep")
            return self._unary(state)
        finally:
            self.depth -= 1

    def _unary(self, state: str) -> int:
        tok = self.peek(state)
        if tok.kind == "CAST":
            self.take(state)
            v = self.unary(state)
            kind, size = tok.value
            return self._deref(v, size, kind == "%")
        if tok.kind == "OP" and tok.text in ("#", "~", "-", "*", "%"):
            # '+', '^' and '&' are terms, not unary operators
            self.take(state)
            v = self.unary(state)
            if tok.text == "#":
                return int(v == 0)
            if tok.text == "~":
                return ~v & MASK64
            if tok.text == "-":
                return -v & MASK64
            return self._deref(v, 8, tok.text == "%")
        return self.primary(state)

    def _deref(self, addr: int, size: int, objfile: bool) -> int:
        try:
            return self.env.read_int(addr, size, objfile)
        except ReadError as e:
            raise ParseAbort(f"failed to read from address {addr:x}: {e.reason}") from None

    def primary(self, state: str) -> int:
        env = self.env
        tok = self.take(state)
        if tok.kind == "NUM":
            return tok.value
        if tok.kind == "NUMTEXT":
            return strtonum(tok.text, env.radix)
        if tok.kind == "SYM":
            if tok.text == ".":
                return env.dot
            val = env.lookup_symbol(tok.text)
            if val is None:
                raise ParseAbort("failed to dereference symbol: unknown symbol name")
            return val
        if tok.kind == "OP":
            if tok.text == "(":
                v = self.expr(state)
                close = self.take(state)
                if close.kind != "OP" or close.text != ")":
                    raise SyntaxFault("syntax error")
                return v
            if tok.text == "&":
                return env.raddr
            if tok.text == "+":
                v = env.dot + env.incr
                if v > MASK64:
                    raise SyntaxFault("'+' would cause '.' to overflow", suffix=False)
                return v
            if tok.text == "^":
                v = env.dot - env.incr
                if v < 0:
                    raise SyntaxFault("'^' would cause '.' to underflow", suffix=False)
                return v
        raise SyntaxFault("syntax error")

    def immediate(self) -> int:
        """``$[ expr ]``: the ``$[`` has been taken."""
        v = self.expr("EXPR")
        tok = self.take("EXPR")
        if tok.kind != "]":
            raise SyntaxFault("syntax error")
        return v

    # ------------------------------------------------------------------
    # statements
    # ------------------------------------------------------------------
    def at_end(self) -> bool:
        return self._skip_blanks(self.pos) >= len(self.src)
