"""Skip files that cannot match before paying for a parse.

Each compiled pattern lists token groups (see `matching.Pattern.tokens`): a call pattern needs the
last part of a name it matches (`md5`, `pbkdf2_hmac`), a pattern that needs a password needs one of
the password tokens. A file is parsed only if, for at least one pattern of one loaded rule, every
group has a token in the file's bytes (lower-cased). The groups come from the rules themselves, so
user rules get the same treatment, and a pattern without groups disables the prefilter.

Why this is sound: a token group lists strings that must appear in the source text for the
pattern's node to exist there at all (a qualified name ends in the call's own attribute or name;
a password is only recognised through names containing a password token or through `getpass`).
When data flow across modules arrives, a file can only contribute to another file's finding
through a name it defines or a password it handles, so the same token test stays the gate.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from pwlint.matching import Pattern


class Prefilter:
    """A byte-level test derived from the loaded rules' patterns."""

    def __init__(self, patterns: Iterable[Pattern], enabled: bool = True) -> None:
        self.enabled = enabled
        self._requirements: list[tuple[re.Pattern[bytes], ...]] = []
        for pattern in patterns:
            if not pattern.tokens:
                self.enabled = False
            self._requirements.append(tuple(_compile(group) for group in pattern.tokens))

    def may_match(self, data: bytes) -> bool:
        if not self.enabled:
            return True
        lowered = data.lower()
        found: dict[re.Pattern[bytes], bool] = {}  # many patterns share a group: search each once

        def has(group: re.Pattern[bytes]) -> bool:
            if group not in found:
                found[group] = group.search(lowered) is not None
            return found[group]

        return any(all(has(group) for group in groups) for groups in self._requirements)


@lru_cache(maxsize=None)
def _compile(group: tuple[str, ...]) -> re.Pattern[bytes]:
    return re.compile("|".join(group).lower().encode("utf-8"))
