"""Reports: the query + computation pairs a page, a notebook or the CLI needs, in one call.

A report function takes ``(bind, filters, scope)``, asks ``crm_data`` for small, already-reduced
frames, hands them to ``analytics`` functions and returns a dataclass of results.  No Streamlit
here (``ui.cache`` caches report calls for the app), so notebooks get exactly the page's numbers.
"""
