"""Write an SVG of every scene into screenshots/ (or the folder given):

    python -m tui_app.devtools.screenshots [FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path

from textual._doc import take_svg_screenshot  # the renderer snapshot tests use too

from tui_app.devtools.scenes import SCENES, play, scene_app


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    for scene in SCENES:
        with scene_app(scene) as app:

            async def run_before(pilot, scene=scene) -> None:
                await play(scene, pilot)

            svg = take_svg_screenshot(app=app, terminal_size=scene.size, run_before=run_before)
        (folder / f"{scene.name}.svg").write_text(svg, "utf-8")
        print(f"{folder / scene.name}.svg — {scene.caption}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
