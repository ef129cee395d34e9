"""Helpers shared by the test modules (``tests/test_*.py`` import these, never each other).

- :mod:`tests.support.databases`: the four dialects, fresh databases, this run's own server
  databases;
- :mod:`tests.support.crm_builder`, :mod:`tests.support.small_crm`,
  :mod:`tests.support.incentive_crm`: hand-built CRMs with hand-computed answers;
- :mod:`tests.support.frames`: expected frames and their comparison;
- :mod:`tests.support.apptest`: the app under Streamlit's ``AppTest`` on a demo database;
- :mod:`tests.support.browser`: the app under ``streamlit run`` for Playwright and Chromium;
- :mod:`tests.support.oidc_provider`: a local OpenID Connect provider.

Fixtures live in ``tests/conftest.py``.
"""
