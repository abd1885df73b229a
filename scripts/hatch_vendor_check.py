"""A hatchling build hook: no wheel without the console's npm files.

They are not in git; ``make install`` (``npm ci`` and scripts/vendor-assets.sh)
or the Dockerfile's asset stage puts them in place before the build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

REQUIRED = ("htmx.org/htmx.min.js", "echarts/echarts.common.min.js")


class VendorFilesPresent(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        # An editable install serves the files from the working tree, wherever they are.
        if version == "editable":
            return
        vendor = Path(self.root) / "app" / "console" / "static" / "vendor"
        missing = [name for name in REQUIRED if not (vendor / name).is_file()]
        if missing:
            raise RuntimeError(
                f"{vendor} lacks {', '.join(missing)}: run `make install` "
                "(npm ci, then scripts/vendor-assets.sh) before building the wheel")
