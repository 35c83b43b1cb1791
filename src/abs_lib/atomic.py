"""Write a file so that readers see either the old one or the whole new one.

Every output of abs (stored tables, manifests, reports, indexes, exported
tables, ``abs indicators -o``) goes through here: it is written beside its
target under a unique temporary name, then renamed into place; on any failure
the temporary file is removed, so nothing half-written is ever left that looks
valid.

Only a regular file is ever replaced (:func:`output_path`): a folder, a device
(``/dev/full``, ``/dev/null``), a named pipe (FIFO) or a socket is refused with a
French message, before anything is written. Renaming onto them would replace the
node itself (run as root, ``-o /dev/full`` would have turned the device into a
CSV file). A symbolic link is followed, as a shell redirection does: the file it
points to is replaced (atomically, in its own folder) and the link stays a link;
where the link leads to something else than a regular file, or nowhere it can
reach (a loop), it is refused like that thing.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Callable

from abs_lib.errors import OutputPathError

_KINDS = (
    (stat.S_ISDIR, "un dossier"),
    (stat.S_ISCHR, "un périphérique (caractère)"),
    (stat.S_ISBLK, "un périphérique (bloc)"),
    (stat.S_ISFIFO, "un tube nommé (FIFO)"),
    (stat.S_ISSOCK, "une socket"),
)


def _kind(mode: int) -> str:
    for test, label in _KINDS:
        if test(mode):
            return label
    return "un fichier spécial"


def output_path(target: str | os.PathLike, *, example: str | None = None) -> Path:
    """The regular file that writing ``target`` will replace (symbolic links followed).

    ``target`` may not exist yet (nor its folder, created by :func:`atomic_write`).
    Raises :class:`~abs_lib.errors.OutputPathError` when ``target`` is, or leads to,
    anything else than a regular file, or when a folder of its path is a file.
    ``example``: a file name suggested for a folder (``indicateurs.csv``).
    """
    given = Path(target)
    if str(target) == "":
        raise OutputPathError("Chemin de sortie vide : donnez le nom d'un fichier.")
    try:
        mode = os.stat(given).st_mode  # through symbolic links: what would really be written
    except (FileNotFoundError, NotADirectoryError):
        mode = None  # to be created (a folder of its path being a file is reported below)
    except OSError as error:  # ELOOP, EACCES on a folder of the path…
        from abs_lib.errors import describe_os_error

        raise OutputPathError(f"Sortie inutilisable : {describe_os_error(error)}. Donnez un autre chemin.") from None
    link = ""
    real = given
    if given.is_symlink():
        real = Path(os.path.realpath(given))
        link = f" (lien symbolique vers « {real} »)"
    if mode is not None and not stat.S_ISREG(mode):
        fix = "donnez le chemin d'un fichier"
        if stat.S_ISDIR(mode):
            fix += f", par exemple « {given / (example or 'sortie.csv')} »"
        raise OutputPathError(
            f"« {given} »{link} est {_kind(mode)} : abs n'écrit que dans un fichier ordinaire (qu'il remplace "
            f"en entier) ; {fix}.")
    if mode is None:
        for parent in real.parents:
            if parent.exists() or parent.is_symlink():
                if not parent.is_dir():
                    raise OutputPathError(
                        f"« {parent} » est un fichier, pas un dossier : impossible d'y créer « {given} ». "
                        "Donnez un chemin dans un dossier existant ou à créer.")
                break
    return real


def atomic_write(target: str | os.PathLike, write: Callable[[Path], object], *,
                 example: str | None = None) -> Path:
    """Call ``write(tmp_path)`` then rename ``tmp_path`` to ``target``; return ``target``.

    ``write`` creates the file itself (``frame.to_parquet``, ``shutil.copyfile``…),
    so it gets the usual permissions; a file replaced keeps its permission bits. A
    ``target`` that is not a regular file is refused first (:func:`output_path`);
    through a symbolic link, the file it points to is replaced.
    """
    given = Path(target)
    real = output_path(given, example=example)
    real.parent.mkdir(parents=True, exist_ok=True)
    tmp = real.with_name(f".{real.name}.{os.urandom(16).hex()}.tmp")  # as random as uuid4, without importing it
    try:
        write(tmp)
        with contextlib.suppress(OSError):  # keep the replaced file's permission bits
            os.chmod(tmp, stat.S_IMODE(os.stat(real).st_mode))
        output_path(real)  # again just before the rename: it may have changed meanwhile
        os.replace(tmp, real)
    except BaseException as error:
        with contextlib.suppress(OSError):  # a read-only folder: report the first error, not this one
            tmp.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename in (tmp, str(tmp)):
            error.filename = str(given)  # the analyst named the target, not our temporary file
        raise
    return given


def atomic_write_text(target: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    """Write bytes atomically."""
    return atomic_write(target, lambda tmp: tmp.write_bytes(data))
