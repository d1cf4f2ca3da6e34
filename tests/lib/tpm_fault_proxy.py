#!/usr/bin/python3
"""A TPM that dies in the middle of a command, on purpose.

    tpm_fault_proxy.py LISTEN_PORT SWTPM_PORT SWTPM_PID PASS COUNT_FILE

Listens on LISTEN_PORT (TPM commands) and LISTEN_PORT+1 (swtpm's control
channel) on 127.0.0.1 and forwards both to the swtpm at SWTPM_PORT and
SWTPM_PORT+1, so a tool given swtpm:host=127.0.0.1,port=LISTEN_PORT talks
to that swtpm.  The first PASS TPM commands go through; the next one is
read whole, then the swtpm is killed (SIGKILL, as a crash) and the
connection closed without an answer.  PASS -1: everything goes through.
COUNT_FILE gets the number of commands forwarded, rewritten after each,
and "killed" after it once the swtpm was killed.
Prints "ready" once listening.
"""
import os
import signal
import socket
import struct
import sys
import threading

listen_port, swtpm_port, swtpm_pid, allowed = (int(a) for a in sys.argv[1:5])
count_file = sys.argv[5]
lock = threading.Lock()
forwarded = 0


def note(text):
    """The count file, replaced whole (read at any time, never torn)."""
    with open(count_file + ".tmp", "w") as f:
        f.write(text)
    os.replace(count_file + ".tmp", count_file)


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def recv_message(s):
    """One TPM command or response: tag, size (whole message), ..."""
    head = recv_exact(s, 6)
    if head is None:
        return None
    size = struct.unpack(">I", head[2:6])[0]
    if size < 10 or size > 1 << 16:
        return None
    rest = recv_exact(s, size - 6)
    return None if rest is None else head + rest


def serve_commands(client):
    global forwarded
    upstream = socket.create_connection(("127.0.0.1", swtpm_port))
    try:
        while True:
            cmd = recv_message(client)
            if cmd is None:
                return
            with lock:
                if allowed >= 0 and forwarded >= allowed:
                    os.kill(swtpm_pid, signal.SIGKILL)
                    note(f"{forwarded} killed\n")
                    return
                forwarded += 1
                note(f"{forwarded}\n")
            upstream.sendall(cmd)
            rsp = recv_message(upstream)
            if rsp is None:
                return
            client.sendall(rsp)
    finally:
        upstream.close()
        client.close()


def pump(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve_control(client):
    upstream = socket.create_connection(("127.0.0.1", swtpm_port + 1))
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
    pump(client, upstream)


def listen(port, handler):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=handler, args=(c,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


note("0\n")
listen(listen_port, serve_commands)
listen(listen_port + 1, serve_control)
print("ready", flush=True)
threading.Event().wait()  # until SIGTERM
