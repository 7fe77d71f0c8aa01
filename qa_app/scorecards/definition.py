"""The scorecard file format: validation, the canonical form, and TOML in and out.

A definition is the dict `tomllib` reads from a scorecard file (see scorecards/README.md).
`validate_definition` checks it and returns the canonical form: defaults written out, keys
in a fixed order, whole-number floats as ints. Versions store and hash the canonical form,
so a file, the web builder and a downloaded file all describe one version identically.
Nothing here needs a request: the CLI, the builder and the tests call it directly.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import tomli_w

from qa_app.channels import CHANNELS
from qa_app.errors import RuleError
from qa_app.scorecards.texts import DEFAULT_LANGUAGE, SCORECARD_LANGUAGES
from qa_app.scoring import DEFAULT_PASS_MARK, DEFAULT_SCALE, KINDS

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# "new" is the address of the create form (/scorecards/new).
RESERVED_SLUGS = frozenset({"new"})
CRITERION_KEY = re.compile(r"^[a-z][a-z0-9_]*$")

TOP_LEVEL_KEYS = ("language", "name", "slug", "description", "channels", "pass_mark", "sections")
SECTION_KEYS = ("title", "weight", "criteria")
CRITERION_KEYS = (
    "key", "label", "guidance", "kind", "min", "max", "weight",
    "na_allowed", "critical", "fail_below", "training",
)  # fmt: skip
MAX_LENGTH = {"name": 120, "slug": 64, "description": 1000, "title": 120, "key": 64,
              "label": 200, "guidance": 4000}  # fmt: skip
MAX_SECTIONS = 30
MAX_CRITERIA = 150
MAX_SCALE_STEPS = 100
NESTED_TOO_DEEPLY = "arrays or tables nested too deeply to be a scorecard"
# A text in several languages is a table of language → text (scorecards/texts.py).
Text = str | dict[str, str]
# The last part of a location that names a key ("sections[1].criteria[2] (greeting).kind").
FIELD_NAME = re.compile(r"(?:^|\.)([a-z_]+)$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: where (file, path, criterion key) and why.

    For the web builder, which shows each problem beside the field it concerns, a problem
    also says which section and criterion (positions from 0) and which key (`field_name`) it is
    about, and a `code` with its `detail` where the builder words it itself.
    """

    location: str
    reason: str
    source: str = ""
    section: int | None = field(default=None, compare=False)
    criterion: int | None = field(default=None, compare=False)
    field_name: str = field(default="", compare=False)
    code: str = field(default="", compare=False)
    detail: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return f"{prefix}{self.location}: {self.reason}"


class DefinitionError(RuleError, ValueError):
    """A definition (or a set of files) has problems; nothing was loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


def _is_number(value: Any) -> TypeGuard[int | float]:
    # TOML allows nan and inf; neither is a weight, a bound or a pass mark.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _tidy_number(value: int | float) -> int | float:
    """2.0 and 2 are the same weight; store one spelling so hashes agree."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class _Checker:
    """Collects problems while building the canonical definition."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        # Where the check is: the section and criterion (from 0) being read, if any.
        self.section: int | None = None
        self.criterion: int | None = None
        self.known_modules: frozenset[str] | None = None
        # The file's own language: every translated text must have it.
        self.language = DEFAULT_LANGUAGE

    def problem(
        self, location: str, reason: str, *, code: str = "", detail: tuple[str, ...] = ()
    ) -> None:
        name = FIELD_NAME.search(location)
        self.problems.append(
            Problem(
                location,
                reason,
                self.source,
                section=self.section,
                criterion=self.criterion,
                field_name=name.group(1) if name else "",
                code=code,
                detail=detail,
            )
        )

    def unknown_keys(self, data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in data:
            if key not in allowed:
                self.problem(
                    f"{where}{key}" if where else key,
                    f"unknown key (allowed: {', '.join(allowed)})",
                )

    def text(
        self, data: Mapping[str, Any], key: str, where: str, *, required: bool = True
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(where + key, "is required")
            return None
        if not isinstance(value, str):
            self.problem(where + key, "must be text")
            return None
        # Browsers send CRLF from text areas; the canonical form has plain newlines.
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if required and not value:
            self.problem(where + key, "must not be empty")
        elif len(value) > MAX_LENGTH[key]:
            self.problem(where + key, f"is longer than {MAX_LENGTH[key]} characters")
        return value

    def translated(
        self, data: Mapping[str, Any], key: str, where: str, *, required: bool = True
    ) -> Text | None:
        """A text people read: a string in the file's language, or a table of language →
        text (see `translated_text`)."""
        value = data.get(key)
        if not isinstance(value, Mapping):
            return self.text(data, key, where, required=required)
        text, reasons = translated_text(value, key, self.language, MAX_LENGTH[key])
        for reason in reasons:
            self.problem(where + key, reason)
        return text

    def flag(self, data: Mapping[str, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.problem(where + key, "must be true or false")
            return False
        return value

    def positive(
        self, data: Mapping[str, Any], key: str, where: str, default: int | float | None
    ) -> int | float | None:
        value = data.get(key, default)
        if value is None:
            return None
        if not _is_number(value) or value <= 0:
            self.problem(where + key, f"must be a number greater than 0, got {value!r}")
            return None
        return _tidy_number(value)


def translated_text(
    value: Mapping[str, Any], key: str, language: str, max_length: int
) -> tuple[Text, list[str]]:
    """Check a table of language → text (`label.en = …`, `label.de = …`) of a file whose own
    language is `language`; return its canonical form and the reasons it is refused.

    Canonical: the plain string when the table holds only the file's language, else the
    table with the file's language first, the others in the order of SCORECARD_LANGUAGES.
    """
    reasons: list[str] = []
    texts: dict[str, str] = {}
    for code, text in value.items():
        if code not in SCORECARD_LANGUAGES:
            reasons.append(
                f"unknown language {code!r} in {key}.{code} "
                f"(allowed: {', '.join(SCORECARD_LANGUAGES)})"
            )
            continue
        if not isinstance(text, str):
            reasons.append(f"the {code} text ({key}.{code}) must be text")
            continue
        # Browsers send CRLF from text areas; the canonical form has plain newlines.
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not text:
            reasons.append(
                f"the {code} text ({key}.{code}) must not be empty; leave the language out instead"
            )
        elif len(text) > max_length:
            reasons.append(f"the {code} text ({key}.{code}) is longer than {max_length} characters")
        texts[code] = text
    if language not in value:
        reasons.append(
            f"has no text in the file's language {language!r} (add {key}.{language}); "
            "it is shown where a translation is missing"
        )
    if set(texts) == {language}:
        return texts[language], reasons
    order = [language, *(code for code in SCORECARD_LANGUAGES if code != language)]
    return {code: texts[code] for code in order if code in texts}, reasons


def validate_definition(
    data: Mapping[str, Any],
    *,
    source: str = "",
    expected_slug: str | None = None,
    known_modules: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Check a scorecard definition and return its canonical form.

    Raises DefinitionError listing every problem (file, location with the criterion key,
    reason), so that a broken file is fixed in one pass. With `known_modules` (the training
    catalogue), a criterion naming any other module is a problem too. `scorecards sync` and
    the web builder both publish through this one check.
    """
    check = _Checker(source)
    check.known_modules = known_modules
    if not isinstance(data, Mapping):
        raise DefinitionError([Problem("(file)", "must be a TOML table", source)])
    check.unknown_keys(data, TOP_LEVEL_KEYS, "")
    result: dict[str, Any] = {}
    language = data.get("language", DEFAULT_LANGUAGE)
    if language not in SCORECARD_LANGUAGES:
        check.problem(
            "language",
            f"unknown language {language!r} (allowed: {', '.join(SCORECARD_LANGUAGES)})",
        )
    else:
        check.language = language
        # English, the default, is left out so files without translations keep their hash.
        if language != DEFAULT_LANGUAGE:
            result["language"] = language
    result["name"] = check.translated(data, "name", "")
    slug = check.text(data, "slug", "")
    if slug and not SLUG.match(slug):
        check.problem("slug", "use lowercase letters, digits and single hyphens, e.g. inbound-call")
    elif slug in RESERVED_SLUGS:
        check.problem("slug", f"{slug!r} is reserved; choose another")
    elif slug and expected_slug and slug != expected_slug:
        check.problem("slug", f"must equal the file name {expected_slug!r}")
    result["slug"] = slug
    description = check.translated(data, "description", "", required=False)
    if description:
        result["description"] = description
    result["channels"] = _channels(check, data.get("channels"))
    pass_mark = data.get("pass_mark", DEFAULT_PASS_MARK)
    if not _is_number(pass_mark) or not 0 <= pass_mark <= 100:
        check.problem("pass_mark", f"must be a number from 0 to 100, got {pass_mark!r}")
    else:
        result["pass_mark"] = _tidy_number(pass_mark)
    result["sections"] = _sections(check, data.get("sections"))
    if check.problems:
        raise DefinitionError(check.problems)
    return result


def _channels(check: _Checker, channels: Any) -> list[str]:
    if not isinstance(channels, list) or not channels:
        check.problem("channels", f"must be a non-empty list from: {', '.join(CHANNELS)}")
        return []
    for channel in channels:
        if channel not in CHANNELS:
            check.problem("channels", f"unknown channel {channel!r} (known: {', '.join(CHANNELS)})")
    if len(set(map(str, channels))) != len(channels):
        check.problem("channels", "lists a channel twice")
    return [str(channel) for channel in channels]


def _sections(check: _Checker, sections: Any) -> list[dict[str, Any]]:
    if not isinstance(sections, list) or not sections:
        check.problem(
            "sections", "at least one [[sections]] with criteria is required", code="no_sections"
        )
        return []
    if len(sections) > MAX_SECTIONS:
        check.problem("sections", f"at most {MAX_SECTIONS} sections")
    seen_keys: set[str] = set()
    total = 0
    result = []
    for number, section in enumerate(sections, start=1):
        where = f"sections[{number}]."
        check.section, check.criterion = number - 1, None
        if not isinstance(section, Mapping):
            check.problem(where[:-1], "must be a table")
            continue
        check.unknown_keys(section, SECTION_KEYS, where)
        canonical: dict[str, Any] = {"title": check.translated(section, "title", where)}
        weight = check.positive(section, "weight", where, None)
        if weight is not None:
            canonical["weight"] = weight
        criteria = section.get("criteria")
        if not isinstance(criteria, list) or not criteria:
            check.problem(
                where + "criteria", "a section needs at least one criterion", code="no_criteria"
            )
            criteria = []
        total += len(criteria)
        canonical["criteria"] = []
        for index, criterion in enumerate(criteria, start=1):
            check.criterion = index - 1
            where_criterion = f"{where}criteria[{index}]"
            canonical["criteria"].append(_criterion(check, criterion, where_criterion, seen_keys))
        check.criterion = None
        result.append(canonical)
    check.section = None
    if total > MAX_CRITERIA:
        check.problem("sections", f"at most {MAX_CRITERIA} criteria in a scorecard")
    return result


def _criterion(check: _Checker, data: Any, where: str, seen_keys: set[str]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        check.problem(where, "must be a table")
        return {}
    key = data.get("key")
    if isinstance(key, str) and key:
        where = f"{where} ({key})"
    where += "."
    check.unknown_keys(data, CRITERION_KEYS, where)
    key = check.text(data, "key", where)
    if key and not CRITERION_KEY.match(key):
        check.problem(
            where + "key",
            "use lowercase letters, digits and underscores, "
            "starting with a letter, e.g. active_listening",
        )
    elif key in seen_keys:
        check.problem(where + "key", "is used by another criterion of this scorecard")
    if key:
        seen_keys.add(key)
    result: dict[str, Any] = {
        "key": key,
        "label": check.translated(data, "label", where),
        "guidance": check.translated(data, "guidance", where),
    }
    kind = data.get("kind")
    if kind not in KINDS:
        check.problem(where + "kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    result["kind"] = kind
    low, high = _bounds(check, data, kind, where, result)
    result["weight"] = check.positive(data, "weight", where, 1)
    result["na_allowed"] = check.flag(data, "na_allowed", where)
    result["critical"] = check.flag(data, "critical", where)
    if result["critical"] and result["na_allowed"]:
        check.problem(where + "na_allowed", "a critical criterion cannot be N/A")
    if "fail_below" in data:
        _fail_below(check, data["fail_below"], kind, result, low, high, where)
    result["training"] = _training(check, data.get("training", []), where, key)
    return result


def _bounds(
    check: _Checker, data: Mapping[str, Any], kind: Any, where: str, result: dict[str, Any]
) -> tuple[float, float]:
    """Check min/max for the kind and write them into `result`; return the usable range."""
    if kind == "scale":
        low, high = data.get("min", DEFAULT_SCALE[0]), data.get("max", DEFAULT_SCALE[1])
        if not (_is_number(low) and _is_number(high)) or low >= high:
            check.problem(where + "min", f"a scale needs numbers min < max, got {low!r}..{high!r}")
            return 0, 1
        if high - low > MAX_SCALE_STEPS:
            check.problem(where + "max", f"a scale spans at most {MAX_SCALE_STEPS} steps")
        result["min"], result["max"] = _tidy_number(low), _tidy_number(high)
        return low, high
    if "min" in data and kind in ("points", "yes_no"):
        check.problem(where + "min", f"{kind} criteria have no min (points start at 0)")
    if kind == "points":
        high = data.get("max")
        if not _is_number(high) or high <= 0:
            check.problem(where + "max", f"points criteria need max > 0, got {high!r}")
            return 0, 1
        result["max"] = _tidy_number(high)
        return 0, high
    if "max" in data and kind == "yes_no":
        check.problem(where + "max", "yes_no criteria have no max")
    return 0, 1


def _fail_below(
    check: _Checker,
    value: Any,
    kind: Any,
    result: dict[str, Any],
    low: float,
    high: float,
    where: str,
) -> None:
    if not result["critical"]:
        check.problem(where + "fail_below", "only critical criteria have fail_below")
    elif kind not in ("scale", "points"):
        check.problem(where + "fail_below", "only scale and points criteria have fail_below")
    elif not _is_number(value) or not low < value <= high:
        check.problem(
            where + "fail_below", f"must be a number above {low} and at most {high}, got {value!r}"
        )
    else:
        result["fail_below"] = _tidy_number(value)


def _training(check: _Checker, training: Any, where: str, key: str | None) -> list[str]:
    if not isinstance(training, list) or not all(isinstance(item, str) for item in training):
        check.problem(where + "training", "must be a list of training module keys")
        return []
    for item in training:
        if not SLUG.match(item):
            check.problem(
                where + "training", f"{item!r} is not a module key like 'active-listening'"
            )
    known = check.known_modules
    unknown = tuple(item for item in training if SLUG.match(item) and known is not None
                    and item not in known)  # fmt: skip
    if unknown:
        # Worded as `scorecards sync` has always told it, by section number and criterion key.
        location = f"sections[{(check.section or 0) + 1}].criteria.{key}.training"
        check.problem(
            location if check.section is not None else where + "training",
            f"unknown training module(s) {', '.join(unknown)} (not in training.toml)",
            code="unknown_modules",
            detail=unknown,
        )
    return list(training)


def content_hash(definition: Mapping[str, Any]) -> str:
    """A stable fingerprint of a canonical definition: equal content, equal hash."""
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_toml(
    text: str,
    *,
    source: str = "",
    expected_slug: str | None = None,
    known_modules: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Read and validate scorecard TOML; syntax errors become a Problem with the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DefinitionError([Problem("(syntax)", str(error), source)]) from error
    except RecursionError as error:  # tomllib recurses once per nested array or table
        raise DefinitionError([Problem("(syntax)", NESTED_TOO_DEEPLY, source)]) from error
    return validate_definition(
        data, source=source, expected_slug=expected_slug, known_modules=known_modules
    )


def to_toml(definition: Mapping[str, Any], *, header: str = "") -> str:
    """Write a canonical definition as TOML that `parse_toml` reads back unchanged."""
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    parts = [comment, _toml_pairs(definition)]
    for section in definition.get("sections") or []:
        parts.append("\n[[sections]]\n" + _toml_pairs(section))
        for criterion in section.get("criteria") or []:
            parts.append("\n[[sections.criteria]]\n" + _toml_pairs(criterion))
    return "".join(parts)


def _toml_pairs(table: Mapping[str, Any]) -> str:
    """A table's keys as TOML lines; a text in several languages as dotted keys
    (`label.en = …`, `label.de = …`), as a person writes them, in place."""
    lines = []
    for key, value in table.items():
        if key in ("sections", "criteria"):
            continue
        if isinstance(value, Mapping):
            for language, text in value.items():
                lines.append(f"{key}." + tomli_w.dumps({language: text}, multiline_strings=True))
        else:
            lines.append(tomli_w.dumps({key: value}, multiline_strings=True))
    return "".join(lines)


def check_criterion(
    data: Mapping[str, Any],
    known_modules: frozenset[str] | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> tuple[dict[str, Any], list[Problem]]:
    """Validate one criterion on its own (the builder's form) with the file's rules, in a
    scorecard whose own language is `language`; each problem's `field_name` names the key
    it concerns."""
    check = _Checker("")
    check.known_modules = known_modules
    check.language = language
    canonical = _criterion(check, data, "", set())
    return canonical, check.problems
