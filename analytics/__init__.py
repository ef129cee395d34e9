"""Pure computation over small, already-reduced DataFrames: rates, models, scores.

No Streamlit, no SQL, no project imports outside ``analytics`` (DESIGN.md §2): pages, notebooks
and the CLI hand these functions the frames that ``crm_data.queries`` returns.
"""
