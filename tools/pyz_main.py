# kdumpwiz.pyz's entry point (tools/build-pyz puts this file in as __main__.py).
#
# Written for every python3 an old host may have (no f-strings, no annotations: RHEL 8's
# /usr/bin/python3 is 3.6, Ubuntu 20.04's is 3.8), because it is what runs first: on a
# Python older than 3.9 it finds the newest python3.N >= 3.9 on PATH and runs this same
# file with it, or says exactly what to install.
import os
import sys

MINIMUM = (3, 9)
#: Newest first; 3.9 is RHEL 9's system Python, RHEL 8 and SLES 15 ship newer ones beside it.
CANDIDATES = ["python3.%d" % minor for minor in range(20, MINIMUM[1] - 1, -1)]
INSTALL_HINT = (
    "install a newer Python beside it, e.g. RHEL 8 / Rocky 8 / Alma 8: 'dnf install python3.12' (or python3.11, "
    "python39); SLES 15: 'zypper install python311'; Ubuntu 20.04: 'apt install python3.9'. "
    "Then run: python3.12 %s" % (sys.argv[0],)
)


def _newer_python():
    """The first python3.N >= 3.9 on PATH, or None."""
    for name in CANDIDATES:
        for folder in os.environ.get("PATH", "").split(os.pathsep):
            path = os.path.join(folder or ".", name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return None


def main():
    if sys.version_info[:2] >= MINIMUM:
        archive = os.path.dirname(os.path.abspath(__file__))
        if archive not in sys.path:
            sys.path.insert(0, archive)
        from kdumpwiz.launch import main as kdumpwiz_main

        return kdumpwiz_main()
    if os.environ.get("KDUMPWIZ_PYZ_REEXEC"):
        # The interpreter found on PATH was itself too old (a wrapper script?): stop, do not loop.
        sys.stderr.write("kdumpwiz: %s is Python %d.%d, older than 3.9\n" % ((sys.executable,) + sys.version_info[:2]))
        return 2
    newer = _newer_python()
    if newer is None:
        sys.stderr.write(
            "kdumpwiz: needs Python 3.9 or newer; this is Python %d.%d (%s) and no python3.9 or newer is on PATH.\n"
            "kdumpwiz: %s\n" % (sys.version_info[0], sys.version_info[1], sys.executable, INSTALL_HINT))
        return 2
    os.environ["KDUMPWIZ_PYZ_REEXEC"] = "1"
    archive = os.path.dirname(os.path.abspath(__file__))
    os.execv(newer, [newer, archive] + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
