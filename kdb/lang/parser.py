"""The parser of the mdb command language (docs/language.md).

:meth:`Parser.next` returns the next :class:`~kdb.lang.statements.Statement`
of a line with every expression already evaluated against the session (dot,
variables, symbols, memory), so side effects of one statement are visible to
the next, as in mdb. It stands on :class:`~kdb.lang.expr.ExprParser`
(expressions) and :class:`~kdb.lang.lexer.Lexer` (tokens).

Errors carry mdb's texts. A :class:`~kdb.errors.SyntaxFault` gets the
`` on line N of NAME near "TOKEN"`` suffix from the caller, using
:attr:`Parser.near` (the text of the last token read, lookahead included,
like yacc's ``yytext``).
"""

from __future__ import annotations

from typing import Any

from kdb.errors import SyntaxFault
from kdb.lang.expr import ExprParser
from kdb.lang.lexer import EvalEnv, Token, escape_text, stresc2chr
from kdb.lang.statements import FmtChar, FmtCount, FmtText, Stage, Statement

__all__ = ["Parser", "EvalEnv", "Token", "escape_text", "stresc2chr"]


class Parser(ExprParser):
    """Parses one line of mdb input into statements, evaluating as it goes."""

    def next(self) -> Statement | None:
        """Parse the next statement of the line, or None at the end of it."""
        tok = self.peek("INITIAL")
        if tok.kind == "EOF":
            return None
        if tok.kind == "NL":
            self.take("INITIAL")
            return Statement("empty")
        if tok.kind in ("SHELL", "SHELLSRC"):
            if self.pipe_input:
                raise SyntaxFault("syntax error")
            self.take("INITIAL")
            text, quoted = self._shell_text()
            if tok.kind == "SHELL" and quoted:
                nxt = self.peek("ARGLIST")
                if nxt.kind == "PIPE":
                    self.take("ARGLIST")
                    stages = [Stage("!", shell=text)]
                    return self._pipeline_rest(Statement("pipeline"), stages)
            self._terminator("ARGLIST")
            return Statement("shellsrc" if tok.kind == "SHELLSRC" else "shell", shell=text)
        st = Statement("pipeline")
        if self._starts_expr(tok):
            st.addr = self.expr("INITIAL")
            tok = self.peek("INITIAL")
        if tok.kind == "OP" and tok.text == ",":
            self.take("INITIAL")
            st.count = self.expr("INITIAL")
            tok = self.peek("INITIAL")
        if tok.kind == "NL" or tok.kind == "EOF":
            if st.addr is None and st.count is None:
                raise SyntaxFault("syntax error")
            self.take("INITIAL")
            st.form = "naked"
            return st
        if self.pipe_input:
            raise SyntaxFault("syntax error")
        if tok.kind in ("SHELL", "SHELLSRC") and (st.addr is not None or st.count is not None):
            st.form = "naked"
            self._sink(st, "INITIAL")
            return st
        return self._pipeline_rest(st, [])

    def _pipeline_rest(self, st: Statement, stages: list[Stage]) -> Statement:
        while True:
            stage, state = self._command()
            stages.append(stage)
            tok = self.peek(state)
            if tok.kind == "PIPE":
                self.take(state)
                continue
            if tok.kind == "SHELL":
                self.take(state)
                text, quoted = self._shell_text()
                if quoted:
                    nxt = self.peek("ARGLIST")
                    if nxt.kind == "PIPE":
                        self.take("ARGLIST")
                        stages.append(Stage("!", shell=text))
                        continue
                st.sink = text
                self._terminator("ARGLIST")
                break
            if tok.kind == "SHELLSRC":
                self.take(state)
                text, _ = self._shell_text()
                st.sink = text
                st.sink_source = True
                self._terminator("ARGLIST")
                break
            if tok.kind in ("NL", "EOF"):
                self.take(state)
                break
            raise SyntaxFault("syntax error")
        st.stages = stages
        return st

    def _sink(self, st: Statement, state: str) -> None:
        tok = self.take(state)
        text, _ = self._shell_text()
        st.sink = text
        st.sink_source = tok.kind == "SHELLSRC"
        self._terminator("ARGLIST")

    def _terminator(self, state: str) -> None:
        tok = self.peek(state)
        if tok.kind not in ("NL", "EOF"):
            raise SyntaxFault("syntax error")
        self.take(state)

    def _command(self) -> tuple[Stage, str]:
        tok = self.take("INITIAL")
        if tok.kind == "DCMD":
            rest = self._rest_of_line() if getattr(tok.value, "rest_of_line", False) else None
            if rest is not None:
                return Stage(tok.text, tok.value, [rest] if rest else []), "ARGLIST"
            return Stage(tok.text, tok.value, self._arglist()), "ARGLIST"
        if tok.kind == "ASSIGN":
            args: list[Any] = [tok.value] if tok.value else []
            stage = Stage(">", self.env.lookup_dcmd(">"), args + self._arglist())
            if tok.value:
                stage.args[0] = "/" + tok.value + "/"
            return stage, "ARGLIST"
        if tok.kind == "WVERB":
            verb, mod = tok.value
            return Stage(verb, self.env.lookup_dcmd(verb), [mod] + self._arglist()), "ARGLIST"
        if tok.kind == "VERB":
            return Stage(tok.text, self.env.lookup_dcmd(tok.text), self._fmtlist()), "FMTLIST"
        raise SyntaxFault("syntax error")

    def _rest_of_line(self) -> str | None:
        """For a dcmd that takes the rest of the line as its one argument (as
        ``!`` takes a shell command): the text to the end of the line, or None
        when it is a single quoted argument (parsed as usual)."""
        src = self.src
        p = self._skip_blanks(self.pos)
        end = src.find("\n", p)
        end = len(src) if end < 0 else end
        text = src[p:end].rstrip(" \t")
        if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0] and text[0] not in text[1:-1]:
            return None
        self.pos = end
        self._peeked = None
        return text

    def _arglist(self) -> list[Any]:
        args: list[Any] = []
        while True:
            tok = self.peek("ARGLIST")
            if tok.kind == "WORD":
                self.take("ARGLIST")
                if tok.value.startswith("//") and tok.text.startswith("//"):
                    end = self.src.find("\n", tok.end)
                    self.pos = len(self.src) if end < 0 else end
                    continue
                args.append(tok.value)
            elif tok.kind == "$[":
                self.take("ARGLIST")
                args.append(self.immediate())
            elif tok.kind == "OP":
                raise SyntaxFault("syntax error")
            else:
                return args

    def _fmtlist(self) -> list[Any]:
        items: list[Any] = []
        while True:
            tok = self.peek("FMTLIST")
            if tok.kind == "FCHAR":
                self.take("FMTLIST")
                items.append(FmtChar(tok.value))
            elif tok.kind == "COUNT":
                self.take("FMTLIST")
                items.append(FmtCount(tok.value))
            elif tok.kind == "FSTR":
                self.take("FMTLIST")
                items.append(FmtText(tok.value))
            elif tok.kind == "$[":
                self.take("FMTLIST")
                items.append(FmtCount(self.immediate()))
            elif tok.kind == "OP":
                raise SyntaxFault("syntax error")
            else:
                return items
