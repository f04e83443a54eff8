#!/usr/bin/env python3
"""An engine's end of --pidfd-socket: accept one connection, take the fds of one SCM_RIGHTS
message and write, for the first, its link target and /proc/self/fdinfo to OUTFILE (a pidfd's
fdinfo names the process: "Pid: N"). Deno has no recvmsg, hence Python for this test helper.
usage: fd_receiver.py SOCKET OUTFILE"""
import os, socket, sys

path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(30)
conn, _ = srv.accept()
msg, fds, flags, _ = socket.recv_fds(conn, 4096, 4)
fd = fds[0]
with open(f"/proc/self/fdinfo/{fd}") as info:
    text = info.read()
with open(out + ".tmp", "w") as f:
    f.write(f"fds={len(fds)} payload={msg.decode(errors='replace')}\n")
    f.write(f"link={os.readlink(f'/proc/self/fd/{fd}')}\n")
    f.write(text)
os.rename(out + ".tmp", out)
