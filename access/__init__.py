"""Who may do what: roles and their permissions, passwords, login throttling, login tokens and
OIDC claim rules.

Pure: no database, no Streamlit, nothing else of the project is imported here, so every layer
(``crm_data`` included) may ask these rules.
"""
