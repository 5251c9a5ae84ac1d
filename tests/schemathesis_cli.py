"""Schemathesis's command line (``st``) with ``ast.parse`` serialized across threads.

CPython 3.11 keeps the AST constructor's recursion depth in interpreter-wide state, so two
of Schemathesis's worker threads parsing at once (Hypothesis describes a filter's lambda
by parsing its source file) can fail with "SystemError: AST constructor recursion depth
mismatch" (python/cpython#106905): a tool error, not an answer of the API.
"""

import ast
import sys
import threading
from typing import Any

_parse = ast.parse
_lock = threading.Lock()


def _serialized_parse(*args: Any, **kwargs: Any) -> Any:
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _serialized_parse  # type: ignore[assignment]

from schemathesis.cli import schemathesis  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "st"
    sys.exit(schemathesis())
