"""A Pygments lexer for the mdb command language (registered as ``mdb``).

Highlights numbers by radix, dcmds, walker names, options, operators,
format verbs and their format lists, variables, strings, shell escapes and
comments. The REPL uses the class directly (looking lexers up through the
entry point costs ~40 ms); ``pygmentize -l mdb`` and documentation tools
find it through the ``pygments.lexers`` entry point.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups
from pygments.token import (Comment, Keyword, Name, Number, Operator, Punctuation, String, Text,
                            Whitespace)

__all__ = ["MdbLexer"]


class MdbLexer(RegexLexer):
    """Lexer for mdb/kmdb command lines and transcripts."""

    name = "mdb"
    aliases = ["mdb", "kmdb", "kdb"]
    filenames = ["*.mdb"]
    mimetypes = ["text/x-mdb"]

    tokens = {
        "root": [
            (r"\n", Whitespace),
            (r"[ \t]+", Whitespace),
            (r"//.*?$", Comment.Single),
            (r"^(\[\d+\]>|>)( )", bygroups(Keyword.Pseudo, Whitespace)),   # transcript prompts
            (r"!<?\s*'[^']*'", String.Backtick),
            (r'!<?\s*"[^"]*"', String.Backtick),
            (r"!<?[^;\n]*", String.Backtick),
            (r"(::walk)(\s+)([A-Za-z_.][\w.`]*)", bygroups(Name.Function, Whitespace, Name.Class)),
            (r"::[A-Za-z_.][\w.`]*", Name.Function, "args"),
            (r"\$<<|\$<|\$>", Name.Function, "args"),
            (r"[$:][?%@A-Za-z^_`]", Name.Function, "args"),
            (r">/[a-zA-Z0-9]/[\w.]+|>[\w.]+", Name.Variable),
            (r"[/\\?@=]", Keyword, "fmt"),
            (r"<[\w.]+", Name.Variable),
            (r"[*%]/[a-zA-Z0-9]/", Operator),
            (r"0[xX][0-9a-fA-F][0-9a-fA-F_]*", Number.Hex),
            (r"0[tT][0-9][0-9_]*(\.[0-9][0-9_]*)?", Number.Integer),
            (r"0[oO][0-7][0-7_]*", Number.Oct),
            (r"0[iI][01][01_]*", Number.Bin),
            (r"'(\\.|[^'\\])*'", String.Char),
            (r'"(\\.|[^"\\])*"', String.Double),
            (r"\$\[", Punctuation, "expr"),
            (r"==|!=|<<|>>|%%|[-+*%#&|^~]", Operator),
            (r"[(),;]", Punctuation),
            (r"[0-9][0-9a-fA-F_]*\b", Number.Hex),
            (r"[A-Za-z_.][\w.`]*", Name),
            (r".", Text),
        ],
        "args": [
            (r"[ \t]+", Whitespace),
            (r"\n|;", Punctuation, "#pop"),
            (r"\|", Operator, "#pop"),
            (r"!<?[^;\n]*", String.Backtick, "#pop"),
            (r"//.*?$", Comment.Single),
            (r"\$\[", Punctuation, "expr"),
            (r"-[A-Za-z]+", Name.Attribute),
            (r"'[^'\n]*'", String.Single),
            (r'"(\\.|[^"\\\n])*"', String.Double),
            (r"0[xX][0-9a-fA-F_]+|0[tT][0-9_]+|[0-9][0-9a-fA-F_]*\b", Number),
            (r"[^ \t\n;|!$'\"]+", Text),
        ],
        "fmt": [
            (r"[ \t]+", Whitespace),
            (r"\n|;", Punctuation, "#pop"),
            (r"\|", Operator, "#pop"),
            (r"!<?[^;\n]*", String.Backtick, "#pop"),
            (r"\$\[", Punctuation, "expr"),
            (r'"(\\.|[^"\\\n])*"', String.Double),
            (r"[0-9]+", Number.Integer),
            (r"[^ \t\n;|!\"$]", String.Other),
        ],
        "expr": [
            (r"\]", Punctuation, "#pop"),
            (r"[ \t]+", Whitespace),
            (r"0[xX][0-9a-fA-F_]+|0[tT][0-9_]+|[0-9][0-9a-fA-F_]*\b", Number),
            (r"<[\w.]+", Name.Variable),
            (r"==|!=|<<|>>|%%|[-+*%#&|^~()]", Operator),
            (r"[A-Za-z_.][\w.`]*", Name),
            (r"\n", Whitespace, "#pop"),
            (r".", Text),
        ],
    }
