"""The browser app on a large image: time to the first view, time per frame while panning and
zooming, and memory, for a 16384² × 3 channel uint16 project against a 2048² one in the same run.

Runs the Playwright file `visualizer/e2e/scale.bench.ts` (Debian's Chromium, the real server via
scripts/serve.sh, the built app) and prints medians. Headless Chromium here draws with SwiftShader
(software WebGL on the CPU), so "with GPU" times are those of the software rasteriser: the
`app` figure is the app's own work per frame (view update, tile choice, texture uploads, draw
calls issued), the `with GPU` figure adds a 1-pixel read that waits until the frame is drawn.
Memory: the page's JS heap (DevTools protocol JSHeapUsedSize) plus the tile cache's texture bytes
(GPU memory the heap does not show), against the cache's own byte count.

BENCH_QUICK=1: 4096² against 1024², fewer frames.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .common import QUICK, Goal, goals_table, mib, table, write_results

ROOT = Path(__file__).resolve().parents[1]
VISUALIZER = ROOT / "visualizer"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SIZES = (4096, 1024) if QUICK else (16384, 2048)
FRAMES = 40 if QUICK else 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else float("nan")


def run_browser_bench(output: Path, settings: dict[str, str], *specs: str):
    """Build the app and run Playwright benchmark specs (playwright.bench.config.ts, Debian's
    Chromium) with `settings` in their environment; what they wrote to `output`, as JSON."""
    env = {
        **os.environ,
        "E2E_PORT": str(_free_port()),
        "CHROMIUM_PATH": CHROMIUM,
        **settings,
    }
    subprocess.run(["npm", "run", "build"], cwd=VISUALIZER, check=True, capture_output=True)
    done = subprocess.run(
        ["npx", "playwright", "test", "--config", "playwright.bench.config.ts", *specs],
        cwd=VISUALIZER,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"the browser benchmark failed:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
        )
    return json.loads(output.read_text())


def _measure(output: Path) -> list[dict]:
    return run_browser_bench(
        output,
        {
            "BENCH_OUTPUT": str(output),
            "BENCH_SIZES": ",".join(str(s) for s in SIZES),
            "BENCH_FRAMES": str(FRAMES),
        },
        "scale.bench.ts",
    )


def run() -> str:
    if not Path(CHROMIUM).exists() or not shutil.which("npx"):
        return f"browser: SKIPPED ({CHROMIUM} or npx is missing)\n"
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as temporary:
        results = _measure(Path(temporary) / "figures.json")
    rows = []
    summary = {}
    for r in results:
        memory = max(h + t for h, t in zip(r["heapBytes"], r["textureBytes"], strict=True))
        figures = {
            "first_view_ms": _median(r["firstViewMs"]),
            "pan_app_ms": _median(r["panCpuMs"]),
            "pan_gpu_ms": _median(r["panTotalMs"]),
            "zoom_app_ms": _median(r["zoomCpuMs"]),
            "zoom_gpu_ms": _median(r["zoomTotalMs"]),
            "heap_mib": mib(max(r["heapBytes"])),
            "texture_mib": mib(max(r["textureBytes"])),
            "cache_mib": mib(max(r["cacheBytes"])),
            "memory_mib": mib(memory),
            "create_s": r["createSeconds"],
            "cache_hits": r["hits"],
            "cache_misses": r["misses"],
        }
        summary[r["size"]] = figures
        rows.append(
            (
                f"{r['size']}² × 3 ch uint16",
                round(figures["create_s"], 1),
                round(figures["first_view_ms"]),
                round(figures["pan_app_ms"], 2),
                round(figures["pan_gpu_ms"], 2),
                round(figures["zoom_app_ms"], 2),
                round(figures["zoom_gpu_ms"], 2),
                figures["heap_mib"],
                figures["texture_mib"],
                figures["cache_mib"],
            )
        )
    write_results("browser", {"sizes": list(SIZES), "frames": FRAMES, "results": summary})
    large, small = summary[SIZES[0]], summary[SIZES[1]]
    goals = [
        Goal(
            "first view <= 2 s",
            f"{large['first_view_ms']:.0f} ms ({small['first_view_ms']:.0f} ms at {SIZES[1]}²)",
            large["first_view_ms"] <= 2000,
        ),
        Goal(
            "frame during pan/zoom <= 16 ms (app's work)",
            f"pan {large['pan_app_ms']:.2f} ms, zoom {large['zoom_app_ms']:.2f} ms",
            max(large["pan_app_ms"], large["zoom_app_ms"]) <= 16,
        ),
        Goal(
            "frame during pan/zoom <= 16 ms (with software GL drawing)",
            f"pan {large['pan_gpu_ms']:.2f} ms, zoom {large['zoom_gpu_ms']:.2f} ms "
            f"({SIZES[1]}²: {small['pan_gpu_ms']:.2f}, {small['zoom_gpu_ms']:.2f})",
            max(large["pan_gpu_ms"], large["zoom_gpu_ms"]) <= 16,
        ),
        Goal(
            "browser memory <= 1 GB (JS heap + tile textures)",
            f"{large['memory_mib']} MiB ({small['memory_mib']} MiB at {SIZES[1]}²)",
            large["memory_mib"] <= 1024,
        ),
    ]
    return "\n".join(
        [
            table(
                f"Browser, {FRAMES} animation frames per gesture (medians; max for memory)",
                (
                    "image",
                    "create s",
                    "first view ms",
                    "pan app ms",
                    "pan +GPU ms",
                    "zoom app ms",
                    "zoom +GPU ms",
                    "JS heap MiB",
                    "textures MiB",
                    "cache MiB",
                ),
                rows,
            ),
            goals_table("Browser goals", goals),
        ]
    )
