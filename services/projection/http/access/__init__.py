"""Who may read the reporting API: users and roles, dashboard sessions, bearer tokens, the
Origin check against cross-site requests, personal fields, and the log of personal-data reads.

Everything lives in the Postgres schema `access`, apart from the read models, so that a
rebuild of `reporting` never touches an account and the alerts service, which reads
`reporting`, sees no password hash.
"""
