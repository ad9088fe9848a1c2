"""Snapshot tests of every screen and modal in its states.

The scenes (tui_app/devtools/scenes.py) are the same ones the README's
screenshots are made from. Regenerate after an intended change with
`pytest tests/test_snapshots.py --snapshot-update` and look at the report.
"""

from __future__ import annotations

import pytest

from tui_app.devtools.scenes import SCENES, Scene, play, scene_app


@pytest.mark.parametrize("scene", SCENES, ids=[scene.name for scene in SCENES])
def test_scene(scene: Scene, snap_compare) -> None:
    with scene_app(scene) as app:

        async def run_before(pilot) -> None:
            await play(scene, pilot)

        assert snap_compare(app, terminal_size=scene.size, run_before=run_before)
