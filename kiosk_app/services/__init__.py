"""Use cases: the only code that changes state.  Routes, the CLI and any API call these."""
