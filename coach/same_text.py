"""Compare a value from outside with a secret-derived one in constant time."""

import hmac


def same_text(given: str, expected: str) -> bool:
    """Say whether two texts are equal, taking as long whatever they hold.

    Compared as UTF-8 bytes: hmac.compare_digest raises TypeError on non-ASCII str, and a
    cookie or query value from outside may hold anything (a "é" was a 500).
    """
    return hmac.compare_digest(given.encode(), expected.encode())
