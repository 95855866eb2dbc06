"""Write openapi/azure-quantum-data-plane-openapi.json from the workspace service's own routes and models.

.venv/bin/python scripts/gen_openapi.py            # rewrite the file
.venv/bin/python scripts/gen_openapi.py --check    # exit 1 if the file differs from the app
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "openapi" / "azure-quantum-data-plane-openapi.json"


def generate() -> str:
    from quantum_workspace.api import create_app, render_openapi
    from quantum_workspace.config import Settings

    with tempfile.TemporaryDirectory(prefix="gen-openapi-") as tmp:
        app = create_app(Settings(data_dir=Path(tmp), start_worker=False))
        return render_openapi(app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run scripts/gen_openapi.py", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
