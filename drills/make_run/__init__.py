"""`make run` as a newcomer starts it (`portal`) and the README's flow walked on it in Chromium
(`flow`): used by its browser test (tests/e2e/test_make_run.py), its process tests and its bench
(bench/flow_pages.py)."""
