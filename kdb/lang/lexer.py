"""The lexer of the mdb command language (docs/language.md).

mdb's lexer is state based (INITIAL, FMTLIST, ARGLIST, EXPR, SHELLCMD): the
same characters are different tokens in an expression, a format list or an
argument list. :class:`Lexer` keeps the position in one input line and the
one-token lookahead; :attr:`Lexer.near` is the text of the last token read
(yacc's ``yytext``), which syntax errors quote.
"""

from __future__ import annotations

import re
import struct
from typing import Any, Protocol

from kdb.errors import SyntaxFault
from kdb.numbers import MASK64, strtonum

#: Deepest nesting of parentheses and prefix operators in one expression
#: (mdb's yacc parser has a fixed stack too); beyond it, a syntax error.
#: Each level costs about five Python frames, well inside the recursion limit.
MAX_NESTING = 100

BLANKS = " \t"
DECIMAL = frozenset("0123456789")
META = set("[]|!/\\?=>$:; \t\n")
IDENT = re.compile(r"[a-zA-Z_.][0-9a-zA-Z_.`]*")
HEXNUM = re.compile(r"[0-9a-fA-F][0-9a-fA-F_]*")
PFXNUM = re.compile(
    r"0[tT][0-9][0-9_]*\.[0-9][0-9_]*"
    r"|0[xX][0-9a-fA-F][0-9a-fA-F_]*|0[tT][0-9][0-9_]*|0[oO][0-7][0-7_]*|0[iI][01][01_]*"
)
CAST = re.compile(r"([*%])/([a-zA-Z0-9])/")
CAST_SIZES = {"c": 1, "1": 1, "s": 2, "2": 2, "i": 4, "4": 4, "l": 8, "8": 8}
ADB_CHARS = set("?%@^_`") | set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
WRITE_MODS = set("vwzWZlLM")
VARNAME = re.compile(r"[a-zA-Z_.][0-9a-zA-Z_.`]*|[0-9]+")

# binary operator precedence, low to high (docs/language.md, "Expressions")
BINOPS = {"|": 1, "^": 2, "&": 3, "==": 4, "!=": 4, "<<": 5, ">>": 5,
          "+": 6, "-": 6, "*": 7, "%": 7, "#": 7, "%%": 8}

_C_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
          "v": "\v", '"': '"', "\\": "\\"}


def stresc2chr(text: str) -> str:
    """Process C escapes the way mdb does for double-quoted strings.

    ``\\a \\b \\f \\n \\r \\t \\v``, octal ``\\0``..``\\377``, ``\\"`` and
    ``\\\\``; any other escaped character keeps its backslash.
    """
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in _C_ESC:
            out.append(_C_ESC[nxt])
            i += 2
        elif nxt in "01234567":
            j = i + 1
            while j < n and j < i + 4 and text[j] in "01234567":
                j += 1
            out.append(chr(int(text[i + 1:j], 8) & 0xFF))
            i = j
        else:
            out.append("\\" + nxt)
            i += 2
    return "".join(out)


def escape_text(text: str) -> str:
    """C-escape a string for messages (``strchr2esc``): ``\\n``, ``\\t``, octal."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif o < 0x20 or o == 0x7F:
            out.append("\\%o" % o)
        else:
            out.append(ch)
    return "".join(out)


class EvalEnv(Protocol):
    """What the parser needs from the session to evaluate expressions."""

    radix: int
    dot: int
    incr: int
    raddr: int
    kmdb: bool

    def lookup_symbol(self, name: str) -> int | None: ...

    def var_get(self, name: str) -> int | None: ...

    def read_int(self, addr: int, size: int, objfile: bool) -> int: ...

    def lookup_dcmd(self, name: str) -> Any: ...


class Token:
    """A lexed token: ``kind``, the source ``text`` and a decoded ``value``."""

    __slots__ = ("kind", "text", "value", "end")

    def __init__(self, kind: str, text: str, value: Any, end: int) -> None:
        self.kind = kind
        self.text = text
        self.value = value
        self.end = end

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Token({self.kind}, {self.text!r}, {self.value!r})"


class Lexer:
    """mdb's state-based lexer over one input line (states INITIAL, EXPR,
    FMTLIST, ARGLIST): :meth:`peek` and :meth:`take` a token in a state."""

    def __init__(self, env: EvalEnv, line: str, *, pipe_input: bool = False) -> None:
        if not line.endswith("\n"):
            line += "\n"
        self.env = env
        self.src = line
        self.pos = 0
        self.depth = 0          # expression nesting, bounded by MAX_NESTING
        self.pipe_input = pipe_input
        self.near = ""
        self._peeked: tuple[int, str, Token] | None = None

    # ------------------------------------------------------------------
    # lexing
    # ------------------------------------------------------------------
    def _skip_blanks(self, pos: int) -> int:
        src = self.src
        while pos < len(src) and src[pos] in BLANKS:
            pos += 1
        return pos

    def peek(self, state: str) -> Token:
        if self._peeked and self._peeked[0] == self.pos and self._peeked[1] == state:
            return self._peeked[2]
        tok = self._lex(state)
        self._peeked = (self.pos, state, tok)
        self.near = tok.text
        return tok

    def take(self, state: str) -> Token:
        tok = self.peek(state)
        self.pos = tok.end
        self._peeked = None
        return tok

    def _lex(self, state: str) -> Token:
        src = self.src
        p = self._skip_blanks(self.pos)
        if p >= len(src):
            return Token("EOF", "", None, p)
        c = src[p]
        two = src[p:p + 2]
        if two == "//":                 # a comment, in every state
            end = src.find("\n", p)
            end = len(src) if end < 0 else end + 1
            return Token("NL", "\n", None, end)
        if c == "\n" or c == ";":
            if state == "EXPR":
                self.near = c
                raise SyntaxFault("syntax error: $[ unmatched")
            return Token("NL", c, None, p + 1)
        if state == "EXPR" and c == "!" and two != "!=":
            self.near = c
            raise SyntaxFault("syntax error: $[ unmatched")
        if state in ("INITIAL", "EXPR"):
            return self._lex_expr(p, state)
        if state == "FMTLIST":
            return self._lex_fmt(p)
        return self._lex_arg(p)

    def _lex_shell_or_pipe(self, p: int) -> Token | None:
        src = self.src
        if src.startswith("!<", p):
            return Token("SHELLSRC", "!<", None, p + 2)
        if src[p] == "!":
            return Token("SHELL", "!", None, p + 1)
        if src[p] == "|":
            return Token("PIPE", "|", None, p + 1)
        return None

    def _lex_expr(self, p: int, state: str) -> Token:
        src = self.src
        c = src[p]
        two = src[p:p + 2]
        if state == "EXPR" and c == "]":
            return Token("]", "]", None, p + 1)
        if two in ("==", "!=", "%%", "<<", ">>"):
            return Token("OP", two, None, p + 2)
        if state == "INITIAL":
            if two == "!<":
                return Token("SHELLSRC", "!<", None, p + 2)
            if c == "!":
                return Token("SHELL", "!", None, p + 1)
            if two == "::":
                m = IDENT.match(src, p + 2)
                if not m:
                    return Token("OP", "::", None, p + 2)
                name = m.group(0)
                text = "::" + name
                return Token("DCMD", text, self.env.lookup_dcmd(text), m.end())
            if c == "$":
                for special in ("$<<", "$<", "$>"):
                    if src.startswith(special, p):
                        return Token("DCMD", special, self.env.lookup_dcmd(special),
                                     p + len(special))
                nxt = src[p + 1:p + 2]
                if nxt == "[":
                    return Token("OP", "$[", None, p + 2)
                if nxt and nxt in ADB_CHARS:
                    text = "$" + nxt
                    return Token("DCMD", text, self.env.lookup_dcmd(text), p + 2)
                return Token("DCMD", "$", self.env.lookup_dcmd("$?"), p + 1)
            if c == ":":
                nxt = src[p + 1:p + 2]
                if nxt and nxt in ADB_CHARS:
                    text = ":" + nxt
                    return Token("DCMD", text, self.env.lookup_dcmd(text), p + 2)
                return Token("OP", ":", None, p + 1)
            if c == ">":
                m = re.compile(r">/([a-zA-Z0-9])/").match(src, p)
                if m:
                    return Token("ASSIGN", m.group(0), m.group(1), m.end())
                return Token("ASSIGN", ">", None, p + 1)
            if c in "/\\?":
                q = self._skip_blanks(p + 1)
                if q < len(src) and src[q] in WRITE_MODS:
                    return Token("WVERB", src[p:q + 1], (c, src[q]), q + 1)
            if c in "/\\?@=":
                return Token("VERB", c, c, p + 1)
        if c == "'":
            end = src.find("'", p + 1)
            if end < 0:
                self.near = "'"
                raise SyntaxFault("syntax error: ' unmatched")
            body = stresc2chr(src[p + 1:end]).encode("latin-1", "replace")
            if len(body) > 8:
                raise SyntaxFault("character constant may not exceed 8 bytes", suffix=False)
            return Token("NUM", src[p:end + 1], int.from_bytes(body, "big") if body else 0, end + 1)
        if c == '"':
            end = self._find_dquote(p + 1)
            if end < 0:
                self.near = '"'
                raise SyntaxFault('syntax error: " unmatched')
            return Token("STR", src[p:end + 1], stresc2chr(src[p + 1:end]), end + 1)
        if c == "<":
            m = VARNAME.match(src, p + 1)
            if m:
                name = m.group(0)
                val = self.env.var_get(name)
                tok = Token("NUM", src[p:m.end()], val, m.end())
                if val is None:
                    self.near = tok.text
                    raise SyntaxFault(f"variable '{name}' is not defined")
                return tok
        if c in "*%":
            m = CAST.match(src, p)
            if m:
                size = CAST_SIZES.get(m.group(2))
                if size is None:
                    raise SyntaxFault(f"invalid cast -- {m.group(0)}", suffix=False)
                return Token("CAST", m.group(0), (c, size), m.end())
        # numbers and symbols: longest match, ties to the number rule
        mp = PFXNUM.match(src, p)
        mh = HEXNUM.match(src, p)
        mi = IDENT.match(src, p)
        lp = mp.end() - p if mp else 0
        lh = mh.end() - p if mh else 0
        li = mi.end() - p if mi else 0
        if mp is not None and lp >= lh and lp >= li:
            text = mp.group(0)
            if "." in text:
                return Token("NUM", text, self._float(text), mp.end())
            return Token("NUM", text, strtonum(text, self.env.radix), mp.end())
        if mh is not None and lh and lh >= li:
            text = mh.group(0)
            if text[0] not in DECIMAL:
                val = self.env.lookup_symbol(text)
                if val is not None:
                    return Token("NUM", text, val, mh.end())
            return Token("NUMTEXT", text, None, mh.end())
        if mi is not None and li:
            return Token("SYM", mi.group(0), None, mi.end())
        return Token("OP", c, None, p + 1)

    def _float(self, text: str) -> int:
        if self.env.kmdb:
            raise SyntaxFault("floating point not supported", suffix=False)
        value = float(text[2:].replace("_", ""))
        return struct.unpack("<Q", struct.pack("<d", value))[0]

    def _find_dquote(self, p: int) -> int:
        src = self.src
        while p < len(src):
            ch = src[p]
            if ch == "\\":
                p += 2
                continue
            if ch == '"':
                return p
            if ch == "\n":
                return -1
            p += 1
        return -1

    def _lex_fmt(self, p: int) -> Token:
        src = self.src
        c = src[p]
        t = self._lex_shell_or_pipe(p)
        if t:
            return t
        if src.startswith("$[", p):
            return Token("$[", "$[", None, p + 2)
        if c == '"':
            end = self._find_dquote(p + 1)
            if end < 0:
                self.near = '"'
                raise SyntaxFault('syntax error: " unmatched')
            return Token("FSTR", src[p:end + 1], stresc2chr(src[p + 1:end]), end + 1)
        if c in DECIMAL:
            q = p
            while q < len(src) and src[q] in DECIMAL:
                q += 1
            # strtoull: a count past 64 bits saturates (and never meets Python's
            # limit on converting thousands of digits)
            count = int(src[p:q]) if q - p <= 20 else MASK64
            return Token("COUNT", src[p:q], min(count, MASK64), q)
        if c in META or c == "'":
            return Token("OP", c, None, p + 1)
        return Token("FCHAR", c, c, p + 1)

    def _lex_arg(self, p: int) -> Token:
        src = self.src
        t = self._lex_shell_or_pipe(p)
        if t:
            return t
        if src[p] == "$":
            if src.startswith("$[", p):
                return Token("$[", "$[", None, p + 2)
            return Token("OP", "$", None, p + 1)
        word: list[str] = []
        q = p
        while q < len(src):
            ch = src[q]
            if ch in " \t\n;!|$":
                break
            if ch == "'":
                end = src.find("'", q + 1)
                nl = src.find("\n", q + 1)
                if end < 0 or (0 <= nl < end):
                    self.near = "'"
                    raise SyntaxFault("syntax error: ' unmatched")
                word.append(src[q + 1:end])
                q = end + 1
                continue
            if ch == '"':
                end = self._find_dquote(q + 1)
                if end < 0:
                    self.near = '"'
                    raise SyntaxFault('syntax error: " unmatched')
                word.append(stresc2chr(src[q + 1:end]))
                q = end + 1
                continue
            word.append(ch)
            q += 1
        return Token("WORD", src[p:q], "".join(word), q)

    # ------------------------------------------------------------------
    # shell commands
    # ------------------------------------------------------------------
    def _shell_text(self) -> tuple[str, bool]:
        """Read a shell command after ``!``: quoted (2026) or to end of command."""
        src = self.src
        p = self._skip_blanks(self.pos)
        self._peeked = None
        if p < len(src) and src[p] in "'\"":
            q = src[p]
            i = p + 1
            buf: list[str] = []
            while True:
                if i >= len(src) or src[i] == "\n":
                    self.pos = i
                    self.near = src[p:i]
                    raise SyntaxFault("syntax error: quote unmatched")
                ch = src[i]
                if ch == "\\" and src.startswith("\\'", i):
                    buf.append("\\'")
                    i += 2
                    continue
                if ch == "\\" and q == '"' and i + 1 < len(src):
                    buf.append(src[i:i + 2])
                    i += 2
                    continue
                if ch == q:
                    break
                buf.append(ch)
                i += 1
            body = "".join(buf)
            if q == '"':
                body = stresc2chr(body)
            body = body.replace("\\'", "'")
            self.pos = i + 1
            self.near = src[p:i + 1]
            return body, True
        end = p
        while end < len(src) and src[end] not in ";\n":
            end += 1
        self.pos = end
        self.near = src[p:end]
        return src[p:end], False

    # ------------------------------------------------------------------
    # expressions
    # ------------------------------------------------------------------
    _EXPR_START = {"NUM", "NUMTEXT", "SYM", "CAST"}
