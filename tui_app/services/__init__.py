"""The client library: models, API client, auth, cookies, exchange log, store.

Never imports Textual, Rich or the sandbox (a test checks it): everything the
TUI can do to the API, a script can do through this package too.
"""
