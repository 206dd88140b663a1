"""jsonschema's violations of the config schema in a user's words: one line naming the key and the fix.

jsonschema speaks of instances and validators; each kind of violation a user
meets (a misspelt key, a number out of range, a count written 6.0, a number
where text is wanted, a value outside a list) has its own words here, and the
rest keep jsonschema's message.
"""

from __future__ import annotations

import difflib

import jsonschema


def _whole(checker, instance) -> bool:
    """JSON Schema's integer admits 6.0; a count written 6.0 is more likely a slip, and breaks range()."""
    return isinstance(instance, int) and not isinstance(instance, bool)


VALIDATOR = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _whole),
)


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def schema_problem(config: dict, schema: dict) -> str | None:
    """The most relevant schema violation as one line, or None.

    Each kind of violation a user meets has its own words (_WORDS); the rest keep jsonschema's.
    """
    error = jsonschema.exceptions.best_match(VALIDATOR(schema).iter_errors(config))
    if error is None:
        return None
    path, message = _WORDS.get(error.validator, _as_is)(error) or _as_is(error)
    return f"config key '{_key(path)}': {message}"


Said = tuple[tuple, str] | None  # the key's path and what is wrong with it; None: jsonschema's words


def _as_is(error) -> Said:
    return tuple(error.absolute_path), error.message


def _out_of_range(error) -> Said:
    return tuple(error.absolute_path), f"{error.instance!r} is out of range: {_range(error.schema)}{_meant(error)}"


def _meant(error) -> str:
    """What the key means, from the schema's description, where a number alone does not say (precision's fraction)."""
    described = error.schema.get("description")
    return f" ({described})" if described else ""


def _unknown_key(error) -> Said:
    """The first key the mapping does not know, by its own path (a misspelt key, usually: the nearest is named)."""
    known = list(error.schema.get("properties", {}))
    unknown = sorted(set(error.instance) - set(known))
    if error.validator_value is not False or not unknown:
        return None
    name = str(unknown[0])
    key, colon, value = name.partition(":")
    if colon and key.strip() in known:  # YAML reads `{account:parbench}` as one key: it needs a space after ':'
        hint = f"YAML needs a space after the colon: '{key.strip()}: {value.strip()}'; "
    else:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
    return (
        *error.absolute_path,
        unknown[0],
    ), f"no such key ({hint}the keys are in docs/configuration.md and config.yaml)"


def _wrong_type(error) -> Said:
    path, value = tuple(error.absolute_path), error.instance
    wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    if wanted == ["integer"]:
        whole = f" as written: write {int(value)}" if isinstance(value, float) and value.is_integer() else ""
        return path, f"{value!r} is not a whole number{whole}"
    if "string" in wanted and type(value) in (int, float):
        # Snakemake reads a top-level `--config host_label=7` as a number, quoted or not; YAML's tag keeps text.
        # (Deeper down, --config text stays text where the schema wants it: typed_overrides.)
        key = _key(path)
        where = f"""{key}: "{value}" in a config file, or --config '{key}=!!str {value}'"""
        return path, f"{value!r} is not text: write " + (where if len(path) == 1 else f'"{value}" in the config file')
    if wanted == ["number"]:
        return path, f"{value!r} is not a number{_meant(error)}"
    return None


def _not_allowed(error) -> Said:
    """A list of constants says it all; a value of another kind needs the schema's own description."""
    forms = error.schema.get("oneOf", [])
    allowed = error.schema.get("enum") or [_form(s) for s in forms]
    if not allowed:
        return None
    described = error.schema.get("description") if any("const" not in s for s in forms) else None
    expected = f"expected {described}" if described else f"allowed: {', '.join(map(str, allowed))}"
    return tuple(error.absolute_path), f"{error.instance!r} is not allowed ({expected})"


# The schema's patterns in words; another pattern keeps jsonschema's message.
_PATTERN_WORDS = {
    "^[a-z][a-z0-9_]*$": "lower-case letters, digits and '_', starting with a letter (as a Python name)",
    "^[A-Za-z0-9][A-Za-z0-9_.-]*$": "letters, digits, '_', '.' and '-', starting with a letter or digit",
    "^[0-9]+[kmg]?$": "a whole number of bytes, or with k, m or g after it (8g)",
}


def _unmatched(error) -> Said:
    words = _PATTERN_WORDS.get(error.validator_value)
    return (
        (tuple(error.absolute_path), f"{error.instance!r} is not a name parbench takes: use {words}") if words else None
    )


_BOUNDS = {"minimum": "at least", "exclusiveMinimum": "above", "maximum": "at most", "exclusiveMaximum": "below"}
_WORDS = {
    **dict.fromkeys(_BOUNDS, _out_of_range),
    "additionalProperties": _unknown_key,
    "type": _wrong_type,
    "pattern": _unmatched,
    **dict.fromkeys(("enum", "const", "oneOf"), _not_allowed),
}


def _range(schema: dict) -> str:
    """A number's allowed range in words: 'at least 0 and below 1'."""
    return " and ".join(f"{words} {schema[bound]}" for bound, words in _BOUNDS.items() if bound in schema)


_TYPE_WORDS = {"array": "a list", "integer": "a whole number", "number": "a number", "string": "text"}


def _form(alternative: dict) -> str:
    """One alternative of a oneOf as a user would write it: its constant, or the kind of value."""
    if "const" in alternative:
        return str(alternative["const"])
    kinds = alternative.get("type", "a value")
    return " or ".join(_TYPE_WORDS.get(kind, kind) for kind in (kinds if isinstance(kinds, list) else [kinds]))
