"""Build hook: the wheel carries the top-level ``datasets/`` and ``prompts/`` as ``harness/_data/``.

They stay at the top of the repository, their one copy; this copies them into the build when a
wheel is made, so an installed harness finds its bundled datasets and templates by name from any
directory (``harness/_bundled.py``). An editable install reads them in place instead. Everything
else about the package is in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = {
    # folder: (glob patterns; datasets/ keeps its review files in subfolders, not shipped)
    "datasets": ("*.jsonl", "schemas.py", "README.md"),
    "prompts": ("*.j2", "*/*.j2", "README.md", "*/README.md"),
}


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for folder, patterns in BUNDLED.items():
            for pattern in patterns:
                for source in sorted((ROOT / folder).glob(pattern)):
                    target = Path(self.build_lib, "harness", "_data", source.relative_to(ROOT))
                    self.mkpath(str(target.parent))
                    self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildWithData})
