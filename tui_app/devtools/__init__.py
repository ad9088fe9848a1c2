"""Tools for developing basket-builder: the demo scenes behind the snapshot
tests and the screenshots in the README. Not used by the app itself."""
