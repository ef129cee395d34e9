"""Shared Streamlit pieces of the dashboard (engine cache, error panel, seeding, page registry).

Only ``app.py``, ``pages/`` and this package import Streamlit (DESIGN.md §2).
"""
