"""Who may read the reporting API: users and roles, dashboard sessions, bearer tokens, the
first operator, and the log of personal-data reads. The reporting API checks them; the
operator's CLI manages them.

Everything lives in the Postgres schema `access`, apart from the read models, so that a
rebuild of `reporting` never touches an account and the alerts service, which reads
`reporting`, sees no password hash.
"""
