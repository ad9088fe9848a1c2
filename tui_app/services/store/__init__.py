"""What lives on disk: atomic files, locks and quarantine, paths, profiles and
secrets, the session, settings, the background saver and the order cache.

May import ``api.models`` and ``api.fast_json`` (the order cache is JSON of a
reply) and nothing else of ``services``.
"""
