"""The reporting API's door: sessions and tokens checked on every request (guard), logins,
the Origin check against cross-site requests, and which reports hold personal fields. The
accounts themselves are in shared/accounts.
"""
