"""The embedded sandbox: a local HTTP server speaking the partner checkout API.

It lets the app run with no credentials and the tests run offline::

    with SandboxServer() as sandbox:
        org = sandbox.orgs[0]      # id, name, client_id, client_secret, demo_token
        sandbox.base_url           # http://127.0.0.1:PORT/api
        sandbox.token_url          # http://127.0.0.1:PORT/oauth2/token

Importing this package is cheap: the web stack loads when a server starts.
Of the client it may import only ``services.api.models``: one definition of
the contract, and nothing of the client's behaviour.
"""

from tui_app.sandbox.db import Org
from tui_app.sandbox.server import SandboxError, SandboxServer, run_foreground

__all__ = ["Org", "SandboxError", "SandboxServer", "run_foreground"]
