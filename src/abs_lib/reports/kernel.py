"""Run study notebooks in the very interpreter that runs abs.

Why: jupyter_client resolves the kernel name ``python3`` through kernelspec folders
(``~/.local/share/jupyter``, ``JUPYTER_PATH``, the system), and a ``python3`` spec left
there by another install points at another Python, where ``abs_lib`` is missing or
of another version. Here ``python3`` (and ``abs-python``) always resolve to
``sys.executable -m ipykernel_launcher``: nothing needs to be registered
globally, and the report is computed by the abs that was asked for. Other kernel
names resolve as usual.
"""

from __future__ import annotations

import os
import sys

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

#: Kernel names that always mean "this interpreter".
SAME_INTERPRETER_KERNELS = frozenset({"python3", "abs-python"})

#: glibc's allocator in the kernel: memory blocks under 32 MiB come from the heap and freed
#: memory stays in the process up to 128 MiB, instead of each figure's pixel buffers (3 to
#: 4 MiB) being mapped, zeroed by the system and given back every time. On a virtual
#: machine that reclaims freed pages, this was a tenth of a report's CPU (system time
#: 0.26 -> 0.13 s per EPCI report, see BENCHMARKS.md). Settings the user exported win;
#: other systems ignore these variables.
KERNEL_MALLOC_SETTINGS = {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(128 * 2**20)}


def kernel_environment() -> dict[str, str]:
    """Variables the kernel gets on top of this process's environment (glibc systems only)."""
    if not sys.platform.startswith("linux"):
        return {}
    return {name: os.environ.get(name, value) for name, value in KERNEL_MALLOC_SETTINGS.items()}


def interpreter_kernel_spec(name: str = "python3") -> KernelSpec:
    """A kernelspec for ``sys.executable`` running ipykernel (not written anywhere)."""
    return KernelSpec(
        name=name,
        # log_level=ERROR: ipykernel>=7 warns on every start that local TCP is unencrypted;
        # that line would be printed once per report. Errors still show.
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
              "--IPKernelApp.log_level=ERROR"],
        display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (abs)",
        language="python",
        env=kernel_environment(),
        metadata={"debugger": True},
    )


class InterpreterKernelSpecManager(KernelSpecManager):
    """KernelSpecManager where ``python3``/``abs-python`` are this interpreter."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name.lower() in SAME_INTERPRETER_KERNELS:
            return interpreter_kernel_spec(kernel_name)
        return super().get_kernel_spec(kernel_name)


class InterpreterKernelManager(AsyncKernelManager):
    """The kernel manager nbclient/papermill create, resolving names as above.

    When the report is interrupted (Ctrl-C, or SIGTERM raised as an interruption by
    the ``abs`` command) while a cell runs, nbclient stops the kernel on its way out;
    a graceful shutdown then makes ipykernel print a traceback about its closed
    sockets. The kernel is stopped at once instead: nothing of it is kept anyway.
    """

    @default("kernel_spec_manager")
    def _default_kernel_spec_manager(self) -> KernelSpecManager:
        return InterpreterKernelSpecManager(data_dir=self.data_dir)

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        if isinstance(sys.exc_info()[1], KeyboardInterrupt):  # cleanup while an interruption unwinds
            now = True
        await AsyncKernelManager.shutdown_kernel(self, now=now, restart=restart)
