"""Samenwerkwijzer: a Dutch-first, grounded advisory assistant about collaboration in education."""

import os as _os

# Telemetry off before any library is imported: ONNX Runtime (the embedding engine) otherwise starts
# Microsoft's event collector on import, writes a session file to the temp folder and tries to send.
_os.environ["ORT_DISABLE_TELEMETRY"] = "1"

__version__ = "0.1.0"
