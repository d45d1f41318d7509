"""What the libtorrent helper scripts share (lt_peer.py, lt_dht.py, lt_lsd.py and the bench helpers): one JSON
event per stdout line, loopback-only endpoints, an IP filter that keeps a session on 127.0.0.0/8 and ::1, and a safe
wait for alerts (wait_for_alert).

LT_LAB_NETWORK="10.78.0.0/16" (an IPv4 network in the 10.7x test-lab range, which exists only inside network
namespaces a test made) allows that network too, for a peer run inside such a namespace."""
import ipaddress
import json
import os
import select
import sys
import threading


def _lab_network():
    text = os.environ.get("LT_LAB_NETWORK", "")
    if not text:
        return None
    network = ipaddress.IPv4Network(text)
    if not (network.subnet_of(ipaddress.IPv4Network("10.64.0.0/12")) or network.subnet_of(ipaddress.IPv4Network("11.64.0.0/12"))):
        raise ValueError("LT_LAB_NETWORK must lie in 10.64.0.0/12 or 11.64.0.0/12, not " + text)
    return network


_LAB = _lab_network()

_out_lock = threading.Lock()


def emit(obj):
    """Prints one JSON object as one line and flushes it at once (the C# side reads line by line)."""
    with _out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def endpoint(text):
    """'127.x.y.z:port' or '[::1]:port' as (host, port); anything off loopback is refused."""
    host, _, port = text.rpartition(":")
    if host == "[::1]":
        return "::1", int(port)
    if not host.startswith("127.") and not (_LAB is not None and ipaddress.ip_address(host) in _LAB):
        raise ValueError("only 127.0.0.0/8 and [::1] endpoints are allowed, not " + text)
    return host, int(port)


def listen_text(host, port):
    """The listen_interfaces form of (host, port): IPv6 addresses in brackets."""
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def keep_on_loopback(lt, session):
    """Blocks every address but 127.0.0.0/8 and ::1 (with apply_ip_filter_to_trackers, trackers too)."""
    ip_filter = lt.ip_filter()
    ip_filter.add_rule("0.0.0.0", "255.255.255.255", 1)
    ip_filter.add_rule("127.0.0.0", "127.255.255.255", 0)
    ip_filter.add_rule("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1)
    ip_filter.add_rule("::1", "::1", 0)
    if _LAB is not None:
        ip_filter.add_rule(str(_LAB.network_address), str(_LAB.broadcast_address), 0)
    session.set_ip_filter(ip_filter)


class AlertWaiter:
    """Waits for a session's next alert without session.wait_for_alert, which Debian's libtorrent 2.0.8 bindings must
    not be called with: it hands Python a pointer to the first queued alert, and the network thread may move that
    alert (a queue that grows reallocates) while the binding wraps it. About one libtorrent download in ten from our
    seeder died of SIGSEGV there (gdb: the boost::python caller of `alert const* (*)(session&, int)`); later bindings
    return a bool. Here the session writes a byte to a pipe when an alert lands in its empty queue (set_alert_fd),
    and wait() sleeps on the pipe. Callers pop_alerts() after each wait, as with wait_for_alert; a first wait returns
    at once, for the alerts queued before the pipe was set."""

    def __init__(self, session):
        self._read, self._write = os.pipe()
        # The session's write must never block its network thread (a full pipe drops the byte: a wake-up is pending).
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        session.set_alert_fd(self._write)
        os.write(self._write, b"\0")

    def wait(self, milliseconds):
        """Returns once an alert arrived since the last wait, or after milliseconds."""
        select.select([self._read], [], [], milliseconds / 1000.0)
        try:
            while os.read(self._read, 4096):
                pass
        except BlockingIOError:
            pass


_waiters = {}


def wait_for_alert(session, milliseconds):
    """session.wait_for_alert(milliseconds), safely (see AlertWaiter): returns once an alert arrived since the last call
    for this session, or after milliseconds. The first call for a session returns at once."""
    waiter = _waiters.get(id(session))
    if waiter is None or waiter[0] is not session:
        waiter = (session, AlertWaiter(session))
        _waiters[id(session)] = waiter
    waiter[1].wait(milliseconds)


def read_commands(on_command):
    """Reads JSON commands from stdin on a daemon thread, passing each but {"cmd":"quit"} to on_command. Returns
    an event set on quit or at the end of stdin."""
    quit_event = threading.Event()

    def read():
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                command = json.loads(line)
            except ValueError as error:
                emit({"event": "error", "message": "bad command %r: %s" % (line, error)})
                continue
            if command.get("cmd") == "quit":
                break
            on_command(command)
        quit_event.set()

    threading.Thread(target=read, daemon=True).start()
    return quit_event
