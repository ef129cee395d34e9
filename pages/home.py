"""The ``/home`` link on a fresh server: runs ``app.py``, whose navigation serves it.

Streamlit starts in legacy multipage mode, which looks a path up among the files of
``pages/``: without this file the first request of a server process for ``/home`` would
answer "Page not found" (``ui.registry.home_pages`` answers it from then on).
"""

from ui.registry import route_through_app

route_through_app()
