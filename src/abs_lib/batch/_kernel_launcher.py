"""Kernel launcher of the batch's pre-warmed kernels (standard library only, run by path).

jupyter_client starts this script as if it were the kernel (``python -I -S
_kernel_launcher.py SOCKET -f CONNECTION_FILE …``: no site-packages, about 20 ms).
It asks the fork server (``forkkernel``) for a kernel, hands it its own standard
streams and environment, forwards the signals it receives (interrupts, shutdown)
to that kernel, and exits with the kernel's exit status: to jupyter_client it
behaves like the kernel process itself. If this launcher is killed, the fork
server sees the socket close and kills the kernel.
"""

import json
import os
import signal
import socket
import sys

FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")


def main() -> int:
    path, argv = sys.argv[1], sys.argv[2:]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.connect(path)
    payload = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    socket.send_fds(sock, [payload], [0, 1, 2])
    reply = sock.recv(65536)
    if not reply:
        print("abs : le serveur de noyaux s'est arrêté avant de démarrer le noyau.", file=sys.stderr)
        return 1
    pid = json.loads(reply)["pid"]

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for name in FORWARDED:
        signal.signal(getattr(signal, name), forward)
    while True:
        data = sock.recv(65536)
        if not data:  # the fork server died: so did (or will) the kernel
            return 1
        message = json.loads(data)
        if "exit" in message:
            code = int(message["exit"])
            return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
