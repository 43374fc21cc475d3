"""Drills: scripts that attack, break and load a real sandbox and print their figures (issue 11).

Each drill's code lives in one module whose functions the reduced tests in `tests/drills/` call,
and whose `main()` sets up its own PostgreSQL database, Redis database and gunicorn (see
`drills/harness.py`). The latest figures and their commands are in `docs/reliability.md`.
"""
