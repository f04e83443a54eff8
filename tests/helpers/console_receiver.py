#!/usr/bin/env python3
"""An engine's end of --console-socket (as go-runc and conmon do it): accept one connection,
take exactly one fd from SCM_RIGHTS, then copy what the container writes to its terminal into
a file until the terminal closes. Deno has no recvmsg, hence Python for this test helper.
usage: console_receiver.py SOCKET OUTFILE [INPUT]"""
import os, socket, sys

path, out = sys.argv[1], sys.argv[2]
to_send = sys.argv[3].encode() if len(sys.argv) > 3 else b""
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(30)
conn, _ = srv.accept()
msg, fds, flags, _ = socket.recv_fds(conn, 4096, 4)
with open(out + ".meta", "w") as f:
    f.write(f"fds={len(fds)} payload={msg.decode(errors='replace')}\n")
master = fds[0]
if to_send:
    os.write(master, to_send)
with open(out, "wb") as f:
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: every user of the terminal is gone
            break
        if not data:
            break
        f.write(data)
        f.flush()
