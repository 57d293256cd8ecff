"""The rendering rules beneath script generation."""

import re

import pytest
from django.core.exceptions import ValidationError

from devtools.demo import TEMPLATES as DEMO_TEMPLATES
from flowpilot.errors import InvalidInput
from sessions.scripts import render_script, validate_template
from tests.support.data import PARAMETER_SCHEMA, TEMPLATE_BODY

PARAMETERS = PARAMETER_SCHEMA["parameters"]
TEXT = [{"key": "x", "field_type": "text"}]
INJECTION = "'; Remove-Item C:\\ -Recurse; '"
UNQUOTED_REFUSAL = (
    "Contains characters that are not safe where this template uses it unquoted; "
    "ask an admin to quote {{ x }} in the template."
)


def render(body, value, *, language="powershell", parameters=TEXT):
    return render_script(body=body, parameters=parameters, values={"x": value}, language=language).script


def refusal(body, value, *, language="powershell", parameters=TEXT):
    with pytest.raises(InvalidInput) as caught:
        render(body, value, language=language, parameters=parameters)
    assert caught.value.code == "invalid_parameters"
    return caught.value


def test_it_fills_placeholders_with_or_without_spaces():
    rendered = render_script(
        body="{{a}}-{{ a }}-{{  a  }}",
        parameters=[{"key": "a", "field_type": "text"}],
        values={"a": "x"},
        language="powershell",
    )
    assert rendered.script == "x-x-x"


def test_it_does_not_render_placeholders_inside_values():
    # Changed with escaping: "{{ password }}" is not a plain value, so the share is quoted here.
    body = "net use {{ letter }}: '{{ share }}' /user:svc '{{ password }}'"
    values = {"share": "{{ password }}", "letter": "S", "password": "pw"}
    rendered = render_script(body=body, parameters=PARAMETERS, values=values, language="powershell")
    assert rendered.script == "net use S: '{{ password }}' /user:svc 'pw'"


def test_numbers_are_normalised_and_must_be_finite():
    values = {"share": "s", "letter": "S", "password": "pw"}

    def retries(value):
        return render_script(
            body="{{ retries }}", parameters=PARAMETERS, values={**values, "retries": value}, language="powershell"
        )

    assert retries(3).script == "3"
    assert retries("2.5").script == "2.5"
    for bad in ("NaN", "Infinity", "1e", True, [1]):
        with pytest.raises(InvalidInput):
            retries(bad)


def test_an_empty_password_is_not_reported_as_redacted():
    parameters = [{"key": "pw", "field_type": "password", "required": False}]
    rendered = render_script(body="[{{ pw }}]", parameters=parameters, values={}, language="powershell")
    assert rendered.parameters_used == {"pw": ""}


def test_values_must_be_text_without_nul_and_not_too_long():
    parameters = [{"key": "a", "field_type": "text"}]
    for bad in ({"a": 5}, {"a": "x\x00"}, {"a": "x" * 1001}, {"a": {"b": 1}}):
        with pytest.raises(InvalidInput) as caught:
            render_script(body="", parameters=parameters, values=bad, language="powershell")
        assert "a" in caught.value.errors["parameters"]


# Escaping for the language and the quotes around the placeholder


def test_it_doubles_a_single_quote_in_a_powershell_single_quoted_value():
    body = "$credential = New-Object PSCredential('{{ x }}', $secure)"
    assert render(body, "NORTHWIND\\o'brien") == "$credential = New-Object PSCredential('NORTHWIND\\o''brien', $secure)"


def test_it_doubles_the_typographic_single_quotes_powershell_also_ends_strings_at():
    assert (
        render("'{{ x }}'", "o\u2019brien \u2018a\u201a\u201b")
        == "'o\u2019\u2019brien \u2018\u2018a\u201a\u201a\u201b\u201b'"
    )


def test_it_keeps_an_injection_attempt_inside_the_powershell_string():
    body = "Get-Printer -Name '{{ x }}' | Select-Object Name"
    assert render(body, INJECTION) == "Get-Printer -Name '''; Remove-Item C:\\ -Recurse; ''' | Select-Object Name"


def test_it_keeps_an_injection_attempt_inside_the_bash_string():
    body = "lpstat -p '{{ x }}'"
    assert render(body, INJECTION, language="bash") == "lpstat -p ''\\''; Remove-Item C:\\ -Recurse; '\\'''"


def test_it_keeps_a_powershell_variable_literal_inside_double_quotes():
    assert render('Write-Host "Hello {{ x }}"', "$env:USERNAME") == 'Write-Host "Hello `$env:USERNAME"'
    assert render('"{{ x }}"', 'a"b`c$(x)\u201cd\u201d') == '"a`"b``c`$(x)`\u201cd`\u201d"'


def test_it_backslash_escapes_bash_double_quotes():
    value = 'a "b" \\c $(reboot) `id` $HOME'
    assert render('echo "{{ x }}"', value, language="bash") == 'echo "a \\"b\\" \\\\c \\$(reboot) \\`id\\` \\$HOME"'


def test_it_backslash_escapes_python_strings_and_their_line_breaks():
    value = "C:\\new 'it' \"said\"\r\nnext"
    assert render("path = '{{ x }}'", value, language="python") == "path = 'C:\\\\new \\'it\\' \"said\"\\r\\nnext'"
    assert render('path = "{{ x }}"', value, language="python") == 'path = "C:\\\\new \'it\' \\"said\\"\\r\\nnext"'


def test_it_refuses_a_double_quote_or_percent_in_a_batch_double_quoted_value():
    assert (
        render('net use X: "{{ x }}"', "\\\\fs01\\Finance & HR", language="cmd")
        == 'net use X: "\\\\fs01\\Finance & HR"'
    )
    for bad in ('a"&del C:\\', "100%PATH%"):
        refused = refusal('net use X: "{{ x }}"', bad, language="cmd")
        assert refused.errors == {
            "parameters": {
                "x": ['Cannot contain " or % where this Windows batch template puts it inside double quotes.']
            }
        }


def test_single_quotes_mean_nothing_in_batch_so_the_value_counts_unquoted():
    assert render("echo '{{ x }}'", "plain", language="cmd") == "echo 'plain'"
    assert refusal("echo '{{ x }}'", "a & del C:\\", language="cmd").errors["parameters"] == {"x": [UNQUOTED_REFUSAL]}


def test_it_refuses_an_unsafe_unquoted_value_naming_the_parameter():
    for language in ("powershell", "bash", "python", "cmd"):
        for bad in ("10; Restart-Computer", "a b", "$(id)", "o'brien", "-Recurse", "a\nb"):
            refused = refusal("Start-Sleep -Seconds {{ x }}", bad, language=language)
            assert refused.errors == {"parameters": {"x": [UNQUOTED_REFUSAL]}}
            assert refused.message == "x: c" + UNQUOTED_REFUSAL.removeprefix("C")  # a parameter without a label


def test_it_accepts_plain_text_numbers_and_select_options_unquoted():
    assert render("net use S: {{ x }}", "\\\\fs01\\hr") == "net use S: \\\\fs01\\hr"
    assert render("ping {{ x }}", "svc_print@northwind.local") == "ping svc_print@northwind.local"
    number = [{"key": "x", "field_type": "number"}]
    assert render("Start-Sleep -Seconds {{ x }}", "-5", parameters=number) == "Start-Sleep -Seconds -5"
    select = [{"key": "x", "field_type": "select", "options": ["New phone", "Lost phone"]}]
    assert render("Revoke-Session  # {{ x }}", "Lost phone", parameters=select) == "Revoke-Session  # Lost phone"


def test_it_escapes_a_password_in_the_script_but_stores_it_redacted():
    parameters = [{"key": "user", "field_type": "text"}, {"key": "pw", "field_type": "password"}]
    values = {"user": "o'brien", "pw": "it's-$ecret!"}
    body = "Connect -User '{{ user }}' -Password '{{ pw }}'; Write-Host \"{{ pw }}\""
    rendered = render_script(body=body, parameters=parameters, values=values, language="powershell")
    assert rendered.script == "Connect -User 'o''brien' -Password 'it''s-$ecret!'; Write-Host \"it's-`$ecret!\""
    assert rendered.redacted_script == "Connect -User 'o''brien' -Password '[REDACTED]'; Write-Host \"[REDACTED]\""
    assert rendered.parameters_used == {"user": "o'brien", "pw": "[REDACTED]"}


def test_a_refused_password_is_named_but_never_echoed():
    parameters = [{"key": "pw", "field_type": "password"}]
    with pytest.raises(InvalidInput) as caught:
        render_script(body="net use /p:{{ pw }}", parameters=parameters, values={"pw": "s3cret!"}, language="cmd")
    assert "pw" in caught.value.errors["parameters"]
    assert "s3cret" not in caught.value.message and "s3cret" not in repr(caught.value.errors)


def test_it_refuses_a_line_break_inside_quotes_except_in_python():
    quoted = [
        ("powershell", "echo '{{ x }}'"),
        ("powershell", 'echo "{{ x }}"'),
        ("bash", "echo '{{ x }}'"),
        ("bash", 'echo "{{ x }}"'),
        ("cmd", 'echo "{{ x }}"'),
    ]
    for language, body in quoted:
        for value in ("first line\nRemove-Item C:\\", "first line\r"):
            refused = refusal(body, value, language=language)
            assert refused.errors == {
                "parameters": {"x": ["Must be a single line: this template puts it inside a quoted string."]}
            }
    assert render("print('{{ x }}')", "a\nb", language="python") == "print('a\\nb')"


def test_the_same_value_is_escaped_for_each_place_it_sits():
    body = "Write-Host \"{{ x }}\"; Get-Item '{{ x }}'"
    assert render(body, "it's $HOME") == "Write-Host \"it's `$HOME\"; Get-Item 'it''s $HOME'"


# Which quotes a placeholder sits in


@pytest.mark.parametrize(
    ("language", "body", "rendered"),
    [
        ("powershell", "New-PSDrive -Root '\\\\{{ x }}\\share'", "New-PSDrive -Root '\\\\a b''c\\share'"),
        ("powershell", "Get-X 'it''s {{ x }}'", "Get-X 'it''s a b''c'"),
        ("powershell", 'Write-Host "Done: {{ x }} at $(Get-Date)"', 'Write-Host "Done: a b\'c at $(Get-Date)"'),
        ("bash", "echo 'say \"{{ x }}\"'", "echo 'say \"a b'\\''c\"'"),
        ("bash", "echo \"{{ x }} said 'hi'\"", "echo \"a b'c said 'hi'\""),
        ("python", "print('C:\\\\{{ x }}')", "print('C:\\\\a b\\'c')"),
        ("python", "s = '''{{ x }}'''", "s = '''a b\\'c'''"),
        ("cmd", 'echo "{{ x }}" ^& ver', 'echo "a b\'c" ^& ver'),
    ],
)
def test_it_counts_a_placeholder_inside_a_string_opened_and_closed_on_its_line_as_quoted(language, body, rendered):
    assert render(body, "a b'c", language=language) == rendered


@pytest.mark.parametrize(
    ("language", "body"),
    [
        ("powershell", "Get-X {{ x }}"),  # no quotes
        ("powershell", "Get-X  # '{{ x }}'"),  # a comment
        ("powershell", "<# it's\n'{{ x }}' #>"),  # a block comment
        ("powershell", "$note = @'\n'{{ x }}'\n'@"),  # a here-string
        ("powershell", "Write-Host \"$(Get-X '{{ x }}')\""),  # code inside double quotes
        ("powershell", "Get-X `'{{ x }}'"),  # an escaped quote is no quote
        ("powershell", 'Get-X "a`{{ x }}"'),  # the escape character would take the value's first character
        ("bash", "echo 'one\ntwo {{ x }}'"),  # a string over several lines
        ("bash", "cat <<EOF\n'{{ x }}'\nEOF"),  # a heredoc
        ("bash", "echo \"`cat '{{ x }}'`\""),  # backticks inside double quotes
        ("bash", "echo $'{{ x }}'"),  # a $'' string, where backslashes mean something
        ("bash", "echo $'a\\'' {{ x }} 'b'"),  # ... and its escaped quote doesn't end it
        ("python", "print(f'{{ x }}')"),  # an f-string
        ("python", "print(r'{{ x }}')"),  # a raw string
        ("python", 'doc = """\n"{{ x }}"\n"""'),  # a triple-quoted string over several lines
        ("python", "print('C:\\{{ x }}')"),  # the escape character would take the value's first character
        ("cmd", 'rem "{{ x }}"'),  # a comment
        ("cmd", 'echo ^"{{ x }}"'),  # an escaped quote is no quote
    ],
)
def test_it_counts_a_placeholder_as_unquoted_wherever_the_quotes_around_it_are_not_plain(language, body):
    assert refusal(body, "a'b; c", language=language).errors["parameters"] == {"x": [UNQUOTED_REFUSAL]}


def test_a_line_after_a_multi_line_string_is_read_normally():
    assert (
        render("cat <<EOF\nhello\nEOF\necho '{{ x }}'", "a b", language="bash") == "cat <<EOF\nhello\nEOF\necho 'a b'"
    )
    assert render("$n = @\"\nit's\n\"@\nGet-X '{{ x }}'", "a b") == "$n = @\"\nit's\n\"@\nGet-X 'a b'"


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="Unknown script language"):
        render("'{{ x }}'", "a", language="fortran")


def test_every_demo_template_renders_for_values_from_a_ticket():
    values = {
        "map-network-drive": {
            "drive_letter": "S",
            "share_path": "\\\\fs01\\finance",
            "username": "NORTHWIND\\o'brien",
            "password": "Winter-2026!demo",
        },
        "clear-print-queue": {"printer_name": "Reception HP (2nd floor)", "wait_seconds": 10},
        "reset-user-mfa": {
            "tenant_domain": "northwind.onmicrosoft.com",
            "user_principal_name": "o'brien@northwind.com",
            "reason": "Lost phone",
        },
    }
    scripts = {}
    for template in DEMO_TEMPLATES:
        validate_template(body=template["body"], parameters_schema=template["parameters_schema"])
        scripts[template["slug"]] = render_script(
            body=template["body"],
            parameters=template["parameters_schema"]["parameters"],
            values=values[template["slug"]],
            language=template["language"],
        ).script
    assert "PSCredential('NORTHWIND\\o''brien', $secure)" in scripts["map-network-drive"]
    assert "-Root '\\\\fs01\\finance'" in scripts["map-network-drive"]
    assert "Start-Sleep -Seconds 10\n" in scripts["clear-print-queue"]
    assert "Get-Printer -Name 'Reception HP (2nd floor)'" in scripts["clear-print-queue"]
    assert "-UserId 'o''brien@northwind.com'" in scripts["reset-user-mfa"]
    assert "# Lost phone" in scripts["reset-user-mfa"]


def test_the_demo_print_queue_template_waits_ten_seconds_unless_told_otherwise():
    template = next(template for template in DEMO_TEMPLATES if template["slug"] == "clear-print-queue")

    def script(values):
        return render_script(
            body=template["body"],
            parameters=template["parameters_schema"]["parameters"],
            values=values,
            language="powershell",
        ).script

    assert "Start-Sleep -Seconds 10\n" in script({"printer_name": "Reception-HP"})
    with pytest.raises(InvalidInput) as caught:
        script({"printer_name": "Reception-HP", "wait_seconds": ""})
    assert caught.value.errors == {"parameters": {"wait_seconds": ["This parameter is required."]}}


def test_every_demo_placeholder_is_a_value_its_pattern_accepts():
    patterned = [
        parameter
        for template in DEMO_TEMPLATES
        for parameter in template["parameters_schema"]["parameters"]
        if "pattern" in parameter
    ]
    assert {parameter["key"] for parameter in patterned} == {
        "share_path",
        "username",
        "tenant_domain",
        "user_principal_name",
    }
    for parameter in patterned:
        assert re.fullmatch(parameter["pattern"], parameter["placeholder"]), parameter["key"]


# Checking templates


def test_a_valid_template_passes():
    validate_template(body=TEMPLATE_BODY, parameters_schema=PARAMETER_SCHEMA)
    validate_template(body="echo hi", parameters_schema={})


def test_a_select_needs_options_and_options_need_a_select():
    with pytest.raises(ValidationError):
        validate_template(body="", parameters_schema={"parameters": [{"key": "a", "field_type": "select"}]})
    with pytest.raises(ValidationError):
        validate_template(body="", parameters_schema={"parameters": [{"key": "a", "options": ["x"]}]})
    with pytest.raises(ValidationError):
        validate_template(body="", parameters_schema={"parameters": [{"key": "a", "required": "yes"}]})


def schema_errors(parameter: dict) -> list[str]:
    """The messages validate_template gives for a schema holding this one parameter."""
    with pytest.raises(ValidationError) as caught:
        validate_template(body="", parameters_schema={"parameters": [{"key": "x", "label": "X", **parameter}]})
    return caught.value.message_dict["parameters_schema"]


UNC = {
    "key": "share",
    "label": "Share path",
    "field_type": "text",
    "required": True,
    "pattern": r"\\\\[A-Za-z0-9._\-]+\\[^\\].*",
    "pattern_message": r"a UNC path like \\server\share",
    "placeholder": r"\\fs01\finance",
}


def test_hints_that_fit_their_parameter_pass():
    parameters = [
        UNC,
        {"key": "user", "field_type": "text", "pattern": r"[^\\]+\\[^\\]+", "default": r"NORTHWIND\dana"},
        {"key": "pin", "field_type": "password", "pattern": r"[0-9]{4,8}", "placeholder": "4 to 8 digits"},
        {"key": "wait", "field_type": "number", "default": 10, "placeholder": "seconds"},
        {"key": "retries", "field_type": "number", "default": "2.5"},
        {"key": "letter", "field_type": "select", "options": ["S", "X"], "default": "X"},
        {"key": "ip", "field_type": "text", "pattern": r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(:\d+)?"},
        {"key": "none", "field_type": "text", "pattern": None, "placeholder": None, "default": None},
    ]
    validate_template(body="{{ share }}", parameters_schema={"parameters": parameters})


def test_a_pattern_must_be_a_regular_expression_on_a_text_or_password_field():
    assert schema_errors({"pattern": "[a-z"}) == [
        "parameters[0].pattern is not a valid regular expression: unterminated character set at position 0."
    ]
    assert schema_errors({"pattern": ""}) == [
        "parameters[0].pattern must be a regular expression of 1 to 500 characters."
    ]
    assert schema_errors({"pattern": 5}) == [
        "parameters[0].pattern must be a regular expression of 1 to 500 characters."
    ]
    assert schema_errors({"pattern": "a" * 501}) == [
        "parameters[0].pattern must be a regular expression of 1 to 500 characters."
    ]
    assert schema_errors({"field_type": "number", "pattern": "[0-9]+"}) == [
        "parameters[0].pattern is only for text and password fields."
    ]
    assert schema_errors({"field_type": "select", "options": ["S"], "pattern": "S"}) == [
        "parameters[0].pattern is only for text and password fields."
    ]


@pytest.mark.parametrize("pattern", [r"(a+)+", r"(\w+\.)*com", r"(?:x|y{2,})+", r"(a{1,3}){100}", r"(?=(a*)*)b"])
def test_a_pattern_that_repeats_inside_a_repeat_is_refused(pattern):
    (message,) = schema_errors({"pattern": pattern})
    assert message.startswith("parameters[0].pattern repeats something inside a repeat (like (a+)+")
    assert "write it without the nesting" in message


def test_a_pattern_message_needs_a_pattern_and_hints_must_be_short_text():
    assert schema_errors({"pattern_message": "a share"}) == [
        "parameters[0].pattern_message describes a pattern; add the pattern or leave it out."
    ]
    for name in ("pattern_message", "placeholder"):
        for bad in ("", "  ", 3, ["x"], "x" * 201):
            assert schema_errors({"pattern": "x", name: bad}) == [
                f"parameters[0].{name} must be text of 1 to 200 characters."
            ], (name, bad)
    assert schema_errors({"field_type": "select", "options": ["S"], "placeholder": "pick"}) == [
        "parameters[0].placeholder is not shown on a select; leave it out."
    ]


def test_a_default_must_be_a_value_its_parameter_accepts():
    assert schema_errors({**UNC, "key": "x", "default": "fs01/finance"}) == [
        "parameters[0].default is not a value this parameter accepts: Expected a UNC path like \\\\server\\share."
    ]
    assert schema_errors({"field_type": "select", "options": ["S", "X"], "default": "Q"}) == [
        "parameters[0].default is not a value this parameter accepts: Must be one of: S, X."
    ]
    assert schema_errors({"field_type": "number", "default": "ten"}) == [
        "parameters[0].default is not a value this parameter accepts: Must be a number."
    ]
    assert schema_errors({"field_type": "number", "default": True}) == [
        "parameters[0].default is not a value this parameter accepts: Must be a number."
    ]
    assert schema_errors({"default": 5}) == ["parameters[0].default must be text."]
    assert schema_errors({"default": " "}) == ["parameters[0].default must not be empty; leave it out instead."]


def test_a_password_cannot_have_a_default():
    assert schema_errors({"field_type": "password", "default": "Winter2026"}) == [
        "parameters[0].default is not allowed on a password: the page would show it."
    ]


def test_a_default_is_not_judged_by_a_broken_parameter():
    assert schema_errors({"field_type": "select", "default": "S"}) == [
        "parameters[0].options must be a non-empty list of text for a select."
    ]


def render_share(values: dict) -> str:
    return render_script(body="'{{ share }}'", parameters=[UNC], values=values, language="powershell").script


def test_a_value_must_match_the_whole_pattern():
    assert render_share({"share": r"\\fs01\finance"}) == r"'\\fs01\finance'"
    for bad in ("fs01\\finance", r"\\fs01", r"x\\fs01\finance", r"\\fs 01\finance"):
        with pytest.raises(InvalidInput) as caught:
            render_share({"share": bad})
        assert caught.value.errors == {"parameters": {"share": ["Expected a UNC path like \\\\server\\share."]}}
        assert caught.value.message == "Share path: expected a UNC path like \\\\server\\share."


def test_without_a_message_the_refusal_quotes_the_pattern():
    parameters = [{"key": "x", "label": "Ticket", "field_type": "text", "pattern": r"T-\d+"}]
    with pytest.raises(InvalidInput) as caught:
        render_script(body="{{ x }}", parameters=parameters, values={"x": "T-12a"}, language="bash")
    assert caught.value.message == "Ticket: expected a value matching the pattern “T-\\d+”."


def test_a_password_is_checked_against_its_pattern_and_never_echoed():
    parameters = [{"key": "pin", "label": "PIN", "field_type": "password", "pattern": "[0-9]{4}"}]
    with pytest.raises(InvalidInput) as caught:
        render_script(body="{{ pin }}", parameters=parameters, values={"pin": "12ab"}, language="bash")
    assert caught.value.message == "PIN: expected a value matching the pattern “[0-9]{4}”."
    assert "12ab" not in repr(caught.value.errors)


def test_an_empty_optional_value_skips_the_pattern():
    optional = [{**UNC, "required": False}]
    rendered = render_script(body="[{{ share }}]", parameters=optional, values={"share": ""}, language="powershell")
    assert rendered.script == "[]"


def test_a_default_fills_an_omitted_value_but_not_an_empty_one():
    parameters = [{"key": "wait", "label": "Wait", "field_type": "number", "required": True, "default": 10}]

    def script(values):
        return render_script(body="sleep {{ wait }}", parameters=parameters, values=values, language="bash").script

    assert script({}) == "sleep 10"
    assert script({"wait": 3}) == "sleep 3"
    with pytest.raises(InvalidInput) as caught:
        script({"wait": ""})
    assert caught.value.errors == {"parameters": {"wait": ["This parameter is required."]}}


def test_a_pattern_saved_before_patterns_were_checked_is_refused_not_crashed_on():
    parameters = [{"key": "x", "label": "X", "field_type": "text", "pattern": "[a-z"}]
    with pytest.raises(InvalidInput) as caught:
        render_script(body="{{ x }}", parameters=parameters, values={"x": "a"}, language="bash")
    assert caught.value.errors == {"parameters": {"x": ["This template's pattern is broken; ask an admin to fix it."]}}
