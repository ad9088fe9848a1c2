"""The client library, in four rooms: ``api`` (talking to a server), ``store``
(what lives on disk), ``scenarios`` (scripted journeys) and ``exports`` (curl,
HAR). ``workspace`` and ``connection`` compose the rooms for the UI.

Never imports Textual, Rich or the sandbox (a test checks it): everything the
TUI can do to the API, a script can do through this package too.
"""
