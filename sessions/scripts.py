r"""Script templates: checking a template's parameter schema and rendering `{{ key }}` placeholders.

Pure functions; `sessions.services.script_generate` stores the result.

Values come from tickets, so each placeholder is filled with its value escaped for the template's language and
for the quotes its placeholder sits in (`_fill` is the one place that does it):

- Inside single quotes (`'{{ x }}'`, also `'\\{{ server }}\share'`): PowerShell doubles each single quote
  (' and the typographic U+2018 to U+201B); bash writes ' as '\''; Python backslash-escapes.
- Inside double quotes: PowerShell puts a backtick before ` " $ (and the typographic U+201C to U+201E);
  bash a backslash before \ " $ `; Python backslash-escapes; Windows batch cannot escape there, so a value
  with " or % is refused.
- Unquoted: numbers and select options pass as they are; any other value must be plain - letters, digits and
  `_ . , : @ / \ + = -`, not starting with `-` - or it is refused: an admin should quote the placeholder.
- Inside quotes a PowerShell, bash or batch value must be one line; Python escapes line breaks.

Which quotes a placeholder sits in (`_quote_contexts`): the body is read from the top, line by line,
following the language's strings, escape character and comments. A placeholder counts as inside single or
double quotes only when that string opens and closes on the placeholder's own line, the line starts outside
any string, and nothing makes the string's contents special: no `$(` (or bash backtick) inside double
quotes earlier on the line, no prefix on the string (bash $'...', Python f'...', r'...'), no escape
character right before the placeholder. Everything else - comments, heredocs, here-strings, strings over several lines,
whatever the reading is unsure of - counts as unquoted: the strictest rule, whose values are plain enough to
be safe wherever they land.

A parameter may also carry hints, checked here when a template is saved and when a script is generated:
`pattern` (a regular expression the whole value must match; text and password fields) with `pattern_message`
(what it expects, completing "Expected ...": "a UNC path like \\server\share"), `placeholder` (shown in the
empty input; not on a select) and `default` (pre-filled on the page, used when the API omits the value; never
on a password, which the page must not show).
"""

import re
import re._constants as regex_constants
import re._parser as regex_parser
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from flowpilot.errors import InvalidInput

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
FIELD_TYPES = ("text", "password", "number", "select")
PATTERN_FIELD_TYPES = ("text", "password")  # select and number values are checked by their type already
MAX_VALUE_LENGTH = 1000
MAX_PATTERN_LENGTH = 500
MAX_HINT_LENGTH = 200  # pattern_message and placeholder
REDACTED = "[REDACTED]"


@dataclass(frozen=True)
class RenderedScript:
    script: str  # with real values: shown to the engineer once, never stored
    redacted_script: str  # password values replaced by [REDACTED]
    parameters_used: dict  # the values, password values replaced by [REDACTED]


def validate_template(*, body: str, parameters_schema) -> None:
    """Raise ValidationError naming the field when a template's schema or body is unusable."""
    errors = _schema_errors(parameters_schema)
    if errors:
        raise ValidationError({"parameters_schema": errors})
    declared = {parameter["key"] for parameter in parameters_schema.get("parameters", [])}
    undeclared = sorted(set(PLACEHOLDER.findall(body or "")) - declared)
    if undeclared:
        raise ValidationError({"body": [f"Placeholders not declared in parameters_schema: {', '.join(undeclared)}."]})


def _schema_errors(schema) -> list[str]:
    if not isinstance(schema, dict):
        return ['Must be an object: {"parameters": [...]}.']
    unknown = set(schema) - {"parameters"}
    if unknown:
        return [f"Unknown keys: {', '.join(sorted(unknown))}."]
    if _contains_nul(schema):
        return ["Null characters are not allowed."]
    parameters = schema.get("parameters", [])
    if not isinstance(parameters, list):
        return ['"parameters" must be a list.']
    errors, seen = [], set()
    for index, parameter in enumerate(parameters):
        where = f"parameters[{index}]"
        if not isinstance(parameter, dict):
            errors.append(f"{where} must be an object.")
            continue
        errors_before = len(errors)
        key = parameter.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            errors.append(f"{where}.key must be a name of letters, digits and underscores.")
        elif key in seen:
            errors.append(f"{where}.key {key!r} is declared twice.")
        else:
            seen.add(key)
        if not isinstance(parameter.get("label", ""), str):
            errors.append(f"{where}.label must be text.")
        field_type = parameter.get("field_type", "text")
        if field_type not in FIELD_TYPES:
            errors.append(f"{where}.field_type must be one of {', '.join(FIELD_TYPES)}.")
        if not isinstance(parameter.get("required", False), bool):
            errors.append(f"{where}.required must be true or false.")
        options = parameter.get("options")
        if field_type == "select":
            if not isinstance(options, list) or not options or not all(isinstance(o, str) and o for o in options):
                errors.append(f"{where}.options must be a non-empty list of text for a select.")
        elif options not in (None, []):
            errors.append(f"{where}.options is only for field_type select.")
        errors.extend(_hint_errors(parameter, field_type, where))
        if len(errors) == errors_before:  # a default is checked against a parameter that is right itself
            errors.extend(_default_errors(parameter, field_type, where))
    return errors


def _hint_errors(parameter: dict, field_type: str, where: str) -> list[str]:
    """What is wrong with a parameter's pattern, pattern_message and placeholder (null means not set)."""
    errors = []
    for name in ("pattern_message", "placeholder"):
        hint = parameter.get(name)
        if hint is not None and not (isinstance(hint, str) and hint.strip() and len(hint) <= MAX_HINT_LENGTH):
            errors.append(f"{where}.{name} must be text of 1 to {MAX_HINT_LENGTH} characters.")
    if parameter.get("placeholder") is not None and field_type == "select":
        errors.append(f"{where}.placeholder is not shown on a select; leave it out.")
    pattern = parameter.get("pattern")
    if pattern is None:
        if parameter.get("pattern_message") is not None:
            errors.append(f"{where}.pattern_message describes a pattern; add the pattern or leave it out.")
    elif field_type not in PATTERN_FIELD_TYPES:
        errors.append(f"{where}.pattern is only for text and password fields.")
    elif not isinstance(pattern, str) or not pattern or len(pattern) > MAX_PATTERN_LENGTH:
        errors.append(f"{where}.pattern must be a regular expression of 1 to {MAX_PATTERN_LENGTH} characters.")
    else:
        try:
            re.compile(pattern)
        except re.error as exc:
            errors.append(f"{where}.pattern is not a valid regular expression: {exc}.")
        else:
            if _repeats_inside_a_repeat(regex_parser.parse(pattern)):
                errors.append(
                    f"{where}.pattern repeats something inside a repeat (like (a+)+ or (\\w+\\.)+), which can "
                    "take minutes to check a long value; write it without the nesting."
                )
    return errors


def _default_errors(parameter: dict, field_type: str, where: str) -> list[str]:
    """A default must be a value its own parameter accepts: one of the options, a number, matching the pattern."""
    default = parameter.get("default")
    if default is None:
        return []
    if field_type == "password":
        return [f"{where}.default is not allowed on a password: the page would show it."]
    if field_type != "number" and not isinstance(default, str):
        return [f"{where}.default must be text."]
    if isinstance(default, str) and not default.strip():
        return [f"{where}.default must not be empty; leave it out instead."]
    try:
        _clean_value(parameter, default)
    except ValueError as exc:
        return [f"{where}.default is not a value this parameter accepts: {exc}"]
    return []


# Python's re has no time limit and values come from tickets: a repeat inside a repeat is how a pattern
# backtracks for minutes on a value that almost matches, so a template may not have one.
REPEATS = (regex_constants.MAX_REPEAT, regex_constants.MIN_REPEAT, regex_constants.POSSESSIVE_REPEAT)


def _repeats_inside_a_repeat(pattern, *, inside_repeat: bool = False) -> bool:
    for op, argument in pattern:
        repeats = op in REPEATS and argument[1] > 1  # (min, max, subpattern); a ? repeats nothing
        if repeats and inside_repeat:
            return True
        if any(_repeats_inside_a_repeat(sub, inside_repeat=inside_repeat or repeats) for sub in _subpatterns(argument)):
            return True
    return False


def _subpatterns(argument):
    """The subpatterns held by one node of a parsed pattern (groups, branches, repeats, lookarounds)."""
    if isinstance(argument, regex_parser.SubPattern):
        yield argument
    elif isinstance(argument, (tuple, list)):
        for item in argument:
            yield from _subpatterns(item)


def _contains_nul(value) -> bool:
    """PostgreSQL cannot store a NUL character in text, JSON included."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


def render_script(*, body: str, parameters: list[dict], values, language: str) -> RenderedScript:
    """Validate `values` against the template's parameters and render the script in `language`.

    Each value is escaped for where its placeholder sits in the body (see the module docstring).
    Raises InvalidInput naming each bad parameter (`parameters.<key>`).
    """
    if not isinstance(values, dict):
        raise InvalidInput("parameters must be an object of key: value.", field="parameters")
    by_key = {parameter["key"]: parameter for parameter in parameters}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(values) - set(by_key)):
        errors[key] = ["Unknown parameter for this template."]

    clean: dict[str, str] = {}
    for key, parameter in by_key.items():
        try:
            clean[key] = _clean_value(parameter, values[key] if key in values else parameter.get("default"))
        except ValueError as exc:
            errors[key] = [str(exc)]
    if errors:
        raise _invalid_parameters(errors, by_key)

    secret_keys = {key for key, parameter in by_key.items() if parameter.get("field_type") == "password"}
    redacted = {key: (REDACTED if key in secret_keys and value else value) for key, value in clean.items()}
    return RenderedScript(
        script=_fill(body, clean, language=language, parameters=by_key),
        redacted_script=_fill(body, clean, language=language, parameters=by_key, hide=secret_keys),
        parameters_used=redacted,
    )


def expected_form(parameter: dict) -> str:
    """What a parameter's pattern expects, as a sentence: its pattern_message, or the pattern itself."""
    message = parameter.get("pattern_message")
    if message:
        return f"Expected {message.rstrip('. ')}."
    return f"Expected a value matching the pattern “{parameter['pattern']}”."


def _invalid_parameters(errors: dict[str, list[str]], parameters: dict[str, dict]) -> InvalidInput:
    """The 400 for refused values: `errors` by key for a form or client, a detail naming each label for people."""

    def named(key: str, messages: list[str]) -> str:
        label = parameters.get(key, {}).get("label") or key
        sentence = " ".join(messages)
        return f"{label}: {sentence[:1].lower()}{sentence[1:]}"

    detail = " ".join(named(key, messages) for key, messages in errors.items())
    return InvalidInput(detail, code="invalid_parameters", errors={"parameters": errors})


def _clean_value(parameter: dict, value) -> str:
    field_type = parameter.get("field_type", "text")
    if value is None or (isinstance(value, str) and not value.strip()):
        if parameter.get("required"):
            raise ValueError("This parameter is required.")
        return ""
    if field_type == "number":
        if isinstance(value, bool):
            raise ValueError("Must be a number.")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("Must be a number.") from None
        if not number.is_finite():
            raise ValueError("Must be a number.")
        return str(number)
    if not isinstance(value, str):
        raise ValueError("Must be text.")
    if "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError(f"At most {MAX_VALUE_LENGTH} characters.")
    if field_type == "select" and value not in parameter.get("options", []):
        raise ValueError(f"Must be one of: {', '.join(parameter.get('options', []))}.")
    if field_type in PATTERN_FIELD_TYPES and parameter.get("pattern") and not _matches(parameter["pattern"], value):
        raise ValueError(expected_form(parameter))
    return value


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except (re.error, TypeError):  # saved before patterns were checked
        raise ValueError("This template's pattern is broken; ask an admin to fix it.") from None


# Filling placeholders: each value escaped for the language and the quotes around its placeholder

UNQUOTED, SINGLE, DOUBLE = "unquoted", "single", "double"
POWERSHELL_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"  # PowerShell ends a '...' string at any of these
POWERSHELL_DOUBLE_QUOTES = '"\u201c\u201d\u201e'  # ... and a "..." string at any of these
SAFE_UNQUOTED = re.compile(r"[A-Za-z0-9_.,:@/\\+=][A-Za-z0-9_.,:@/\\+=-]*")  # no leading "-": not an option
LINE_BREAK = re.compile("[\r\n\x85\u2028\u2029]")


def _fill(body: str, values: dict[str, str], *, language: str, parameters: dict[str, dict], hide=frozenset()) -> str:
    """The body with each placeholder replaced by its value escaped for `language` and the quotes around it.

    Values of `hide` keys become [REDACTED] as they are. Raises InvalidInput naming each refused value.
    """
    contexts = _quote_contexts(body, language)
    errors: dict[str, list[str]] = {}

    def replace(match: re.Match) -> str:
        key, value = match.group(1), values.get(match.group(1), "")
        if key in hide and value:
            return REDACTED
        context = contexts.get(match.start(), UNQUOTED)
        try:
            field_type = parameters.get(key, {}).get("field_type", "text")
            return _escape(value, key=key, field_type=field_type, language=language, context=context)
        except ValueError as exc:
            errors.setdefault(key, [str(exc)])
            return ""

    filled = PLACEHOLDER.sub(replace, body)
    if errors:
        raise _invalid_parameters(errors, parameters)
    return filled


def _escape(value: str, *, key: str, field_type: str, language: str, context: str) -> str:
    """`value` written so that it stays one literal value where its placeholder sits; ValueError if it can't."""
    if context == UNQUOTED:
        if field_type in ("number", "select") or not value or SAFE_UNQUOTED.fullmatch(value):
            return value
        raise ValueError(
            "Contains characters that are not safe where this template uses it unquoted; "
            f"ask an admin to quote {{{{ {key} }}}} in the template."
        )
    if language == "python":
        quote = "'" if context == SINGLE else '"'
        return value.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n").replace("\r", "\\r")
    if LINE_BREAK.search(value):
        raise ValueError("Must be a single line: this template puts it inside a quoted string.")
    if language == "powershell" and context == SINGLE:
        return re.sub(f"[{POWERSHELL_SINGLE_QUOTES}]", lambda quote: quote.group() * 2, value)
    if language == "powershell":
        return re.sub(f"[`${POWERSHELL_DOUBLE_QUOTES}]", lambda char: "`" + char.group(), value)
    if language == "bash" and context == SINGLE:
        return value.replace("'", "'\\''")
    if language == "bash":
        return re.sub(r'[\\"$`]', lambda char: "\\" + char.group(), value)
    # Windows batch: only double quotes mean anything, and nothing can be escaped inside them.
    if '"' in value or "%" in value:
        raise ValueError('Cannot contain " or % where this Windows batch template puts it inside double quotes.')
    return value


# Where each placeholder sits: the rule is in the module docstring


@dataclass(frozen=True)
class _Syntax:
    """What `_QuoteReader` follows of a language: its strings, escape character and comments."""

    single: str  # characters that open and close a single-quoted string
    double: str  # characters that open and close a double-quoted string
    escape: str  # the escape character, which takes the next character literally ...
    escapes_in: frozenset[str]  # ... outside strings ("") and in these strings (and in any prefixed string)
    comment: re.Pattern  # matched outside strings: a comment from there to the end of the line
    block_comments: bool = False  # PowerShell: <# ... #>
    code_in_double: re.Pattern | None = None  # inside double quotes: embedded code ($( ... ), `...`)
    prefix: re.Pattern | None = None  # matched at an opening quote: a prefix ($'', f'', r'') makes it special
    heredoc: re.Pattern | None = None  # bash: <<WORD, whose body runs to a line that is WORD
    here_strings: bool = False  # PowerShell: @' or @" ending a line, up to a line starting '@ or "@
    triple_quotes: bool = False  # Python: ''' and """ strings
    strings_span_lines: bool = True  # Windows batch: every line starts outside quotes


WORD_START = r"(?:^|(?<=[\s;|&()]))"
SYNTAX = {
    "powershell": _Syntax(
        single=POWERSHELL_SINGLE_QUOTES,
        double=POWERSHELL_DOUBLE_QUOTES,
        escape="`",
        escapes_in=frozenset({"", '"'}),
        comment=re.compile(WORD_START + "#"),
        block_comments=True,
        code_in_double=re.compile(r"\$\("),
        here_strings=True,
    ),
    "bash": _Syntax(
        single="'",
        double='"',
        escape="\\",
        escapes_in=frozenset({"", '"'}),
        comment=re.compile(WORD_START + "#"),
        code_in_double=re.compile(r"\$\(|`"),
        prefix=re.compile(r"(?<=\$)"),
        heredoc=re.compile(r"(?<!<)<<(?P<dash>-?)\s*\\?(?P<q>['\"]?)(?P<word>[A-Za-z_][A-Za-z0-9_]*)(?P=q)"),
    ),
    "python": _Syntax(
        single="'",
        double='"',
        escape="\\",
        escapes_in=frozenset({"", "'", '"', "'''", '"""'}),
        comment=re.compile("#"),
        prefix=re.compile(r"(?<=[A-Za-z])"),
        triple_quotes=True,
    ),
    "cmd": _Syntax(
        single="",
        double='"',
        escape="^",
        escapes_in=frozenset({""}),
        comment=re.compile(r"^\s*@?(?:rem(?:\s|$)|::)", re.IGNORECASE),
        strings_span_lines=False,
    ),
}
QUOTED = ("'", '"', "'''", '"""')


def _quote_contexts(body: str, language: str) -> dict[int, str]:
    """The offset of every placeholder in `body` that sits inside quotes, mapped to SINGLE or DOUBLE."""
    if language not in SYNTAX:
        raise ValueError(f"Unknown script language {language!r}.")
    reader, contexts, offset = _QuoteReader(SYNTAX[language]), {}, 0
    for line in body.split("\n"):
        contexts.update(reader.read_line(line, offset))
        offset += len(line) + 1
    return contexts


class _QuoteReader:
    """Follows a body's strings line by line; see the module docstring for what counts as quoted."""

    def __init__(self, syntax: _Syntax):
        self.syntax = syntax
        self.quote = ""  # the string (or comment) we are in: "", "'", '"', "'''", '"""', "@'", '@"' or "<#"
        self.prefixed = False  # the string has a prefix ($'', f'', r''): placeholders in it count unquoted
        self.heredocs: list[tuple[str, bool]] = []  # bash: (WORD, tabs stripped) of heredocs still to come

    def read_line(self, line: str, offset: int) -> dict[int, str]:
        syntax, contexts, pending = self.syntax, {}, []  # pending: placeholders in the string opened on this line
        if self.heredocs:  # a line of a heredoc's body: nothing in it counts as quoted
            word, strip_tabs = self.heredocs[0]
            if (line.lstrip("\t") if strip_tabs else line).rstrip("\r") == word:
                self.heredocs.pop(0)
            return {}
        trusted, i = not self.quote, 0  # a line that starts inside a string trusts none of its quotes
        if self.quote in ("@'", '@"'):  # a here-string ends only at a line starting with '@ or "@
            quotes = syntax.single if self.quote == "@'" else syntax.double
            if not (line[:1] and line[0] in quotes and line[1:2] == "@"):
                return {}
            self.quote, i = "", 2
        while i < len(line):
            placeholder = PLACEHOLDER.match(line, i)
            if placeholder:
                if self.quote in QUOTED and trusted and not self.prefixed:
                    pending.append(offset + i)
                i = placeholder.end()
            elif line[i] == syntax.escape and (self.quote in syntax.escapes_in or self.prefixed):
                i += 2  # the next character is literal (so a placeholder right after it is never quoted)
            elif not self.quote:
                if syntax.comment.match(line, i):
                    break
                i = self._outside(line, i)
            elif closer := self._closer(line, i):
                contexts.update(dict.fromkeys(pending, SINGLE if self.quote[0] == "'" else DOUBLE))
                pending, self.quote, self.prefixed = [], "", False
                i += closer
            else:
                if self.quote == '"' and syntax.code_in_double and syntax.code_in_double.match(line, i):
                    trusted = False  # code inside the string: its quotes are not followed
                i += 1
        if not syntax.strings_span_lines:
            self.quote = ""
        return contexts

    def _outside(self, line: str, i: int) -> int:
        """Read what starts at `i` outside any string; return where to go on."""
        syntax, char = self.syntax, line[i]
        if syntax.block_comments and line.startswith("<#", i):
            self.quote = "<#"
            return i + 2
        heredoc = syntax.heredoc and syntax.heredoc.match(line, i)
        if heredoc:
            self.heredocs.append((heredoc.group("word"), bool(heredoc.group("dash"))))
            return heredoc.end()
        if char not in syntax.single and char not in syntax.double:
            return i + 1
        kind = "'" if char in syntax.single else '"'
        if syntax.here_strings and line[i - 1 : i] == "@" and not line[i + 1 :].strip():
            self.quote = "@" + kind
            return len(line)
        self.prefixed = bool(syntax.prefix and syntax.prefix.match(line, i))
        if syntax.triple_quotes and line.startswith(char * 3, i):
            self.quote = kind * 3
            return i + 3
        self.quote = kind
        return i + 1

    def _closer(self, line: str, i: int) -> int:
        """The length of the current string's closing quote if it is at `i`, else 0."""
        if self.quote in ("'", '"'):
            return int(line[i] in (self.syntax.single if self.quote == "'" else self.syntax.double))
        closer = {"'''": "'''", '"""': '"""', "<#": "#>"}.get(self.quote)
        return len(closer) if closer and line.startswith(closer, i) else 0
