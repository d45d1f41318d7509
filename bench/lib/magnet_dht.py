#!/usr/bin/python3
"""Helpers of bench/magnet-dht.sh (run with Debian's /usr/bin/python3, which has python3-libtorrent).

  magnet_dht.py swarm '<json>'       N pure libtorrent DHT nodes and a libtorrent seeder, in this one process
  magnet_dht.py lt-download '<json>' one timed libtorrent magnet download through the DHT
  magnet_dht.py ours-download '<json>' one timed magnet download by a running smartshare daemon (JSON-RPC)
  magnet_dht.py free-port ADDRESS    prints a port free for TCP and UDP on ADDRESS

Each prints JSON lines on stdout. Everything stays on 127.0.0.0/8; libtorrent's LSD, UPnP, NAT-PMP and uTP are
off, its per-IP DHT limits relaxed (spec/bittorrent-interop.md point 4) and its bootstrap nodes always loopback
ones (never its public default router). The long-running modes quit on {"cmd":"quit"} or end of stdin.

swarm JSON: {"nodes": ["127.0.1.1", ...], "seeder": "127.0.2.1", "torrent": PATH, "save_path": DIR}
  prints {"event":"node","address":..,"port":..} per node, {"event":"seeder","address":..,"port":..},
  {"event":"announced","nodes":k} each time another DHT node received the seeder's announce_peer, and
  {"event":"ready"} once the seeder seeds and at least 3 nodes (or all) hold its announce.
lt-download JSON: {"magnet": M, "save_path": DIR, "listen": "127.0.3.1", "bootstrap": "127.0.1.7:PORT",
  "min_nodes": 8, "limit_s": 300}
  joins the DHT first (until its routing table holds min_nodes nodes, not timed), prints {"event":"joined",..},
  then adds the magnet and prints {"event":"done","metadata_s":..,"first_piece_s":..,"complete_s":..}.
ours-download JSON: {"api": "http://127.0.0.1:A", "magnet": M, "min_nodes": 1, "poll_s": 0.01, "limit_s": 300}
  waits until status shows bittorrent.dht.nodes >= min_nodes (not timed), prints {"event":"joined",..}, then
  calls get and polls file_list: {"event":"done","metadata_s":..,"first_piece_s":..,"complete_s":..,"path":..}.
"""
import json
import os
import socket
import sys
import threading
import time
import urllib.request
import warnings

try:
    import libtorrent as lt
except ImportError:  # ours-download and free-port need no libtorrent
    lt = None

# emit and the loopback IP filter are shared with the interop tests' libtorrent helpers.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "SmartShare.Interop.Tests", "Clients"))
from lt_common import emit, keep_on_loopback, wait_for_alert  # noqa: E402


def fail(message):
    emit({"event": "error", "message": message})
    sys.exit(2)


def loopback(text):
    host = text.rpartition(":")[0] if text.count(":") == 1 else text
    if not host.startswith("127."):
        raise ValueError("only 127.0.0.0/8 addresses are allowed, not " + text)
    return text


def free_port(address):
    for _ in range(100):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind((address, 0))
        port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind((address, port))
            return port
        except OSError:
            continue
        finally:
            udp.close()
            tcp.close()
    raise RuntimeError("no port free for TCP and UDP on " + address)


def session_for(address, bootstrap, extra=None):
    categories = lt.alert.category_t
    settings = {
        "listen_interfaces": "%s:0" % loopback(address),
        "outgoing_interfaces": address,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_ip_notifier": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "enable_dht": True,
        "dht_bootstrap_nodes": ",".join(loopback(node) for node in bootstrap),
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_block_ratelimit": 1000,
        "dht_upload_rate_limit": 1000000,
        "dht_max_fail_count": 100,
        "dht_announce_interval": 5,
        "allow_multiple_connections_per_ip": True,
        "min_reconnect_time": 1,
        "announce_ip": address,
        "apply_ip_filter_to_trackers": True,
        "alert_mask": categories.error_notification | categories.status_notification | categories.dht_notification
        | categories.piece_progress_notification | categories.storage_notification,
        "user_agent": "magnet_dht/" + lt.__version__,
    }
    settings.update(extra or {})
    session = lt.session(settings)
    keep_on_loopback(lt, session)
    return session


def udp_port(session, address, deadline_s=20):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        wait_for_alert(session, 200)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.listen_failed_alert):
                raise RuntimeError("listen failed on %s: %s" % (address, alert.message()))
            if isinstance(alert, lt.listen_succeeded_alert) and alert.socket_type == lt.socket_type_t.udp:
                return alert.port
    raise RuntimeError("libtorrent did not listen on " + address)


def dht_nodes(session):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return session.status().dht_nodes


def quit_event():
    event = threading.Event()

    def read():
        for line in sys.stdin:
            if '"quit"' in line:
                break
        event.set()

    threading.Thread(target=read, daemon=True).start()
    return event


def swarm(args):
    # DHT-only nodes need few threads: 50 sessions share the machine with the measured downloader.
    light = {"aio_threads": 1, "hashing_threads": 1}
    sessions, endpoints = [], []
    for index, address in enumerate(args["nodes"]):
        joins = [endpoints[0], endpoints[-1]] if endpoints else []
        if index > 2:
            joins.append(endpoints[index // 2])
        session = session_for(address, sorted(set(joins)), light)
        port = udp_port(session, address)
        sessions.append(session)
        endpoints.append("%s:%d" % (address, port))
        emit({"event": "node", "address": address, "port": port})

    seeder = session_for(args["seeder"], endpoints[::7][:8])
    seeder_port = udp_port(seeder, args["seeder"])
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(args["torrent"])
    params.save_path = args["save_path"]
    params.flags |= lt.torrent_flags.seed_mode
    handle = seeder.add_torrent(params)
    info_hash = handle.info_hashes().v1
    emit({"event": "seeder", "address": args["seeder"], "port": seeder_port, "info_hash": str(info_hash)})

    holders = set()
    ready = False
    stop = quit_event()
    last_report = 0.0
    while not stop.is_set():
        wait_for_alert(seeder, 100)
        for alert in seeder.pop_alerts():
            if isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert)):
                emit({"event": "error", "message": alert.message()})
        for index, session in enumerate(sessions):
            for alert in session.pop_alerts():
                if isinstance(alert, lt.dht_announce_alert) and alert.info_hash == info_hash and index not in holders:
                    holders.add(index)
                    emit({"event": "announced", "nodes": len(holders)})
        if not ready and handle.status().is_seeding and len(holders) >= min(3, len(sessions)):
            ready = True
            emit({"event": "ready"})
        now = time.monotonic()
        if now - last_report >= 5:
            last_report = now
            emit({"event": "stats", "routing": [dht_nodes(s) for s in sessions[:5]], "seeder_routing": dht_nodes(seeder),
                  "upload_rate": handle.status().upload_payload_rate, "peers": handle.status().num_peers})
    for session in sessions + [seeder]:
        session.pause()


def lt_download(args):
    limit = float(args.get("limit_s", 300))
    session = session_for(args["listen"], [args["bootstrap"]])
    udp_port(session, args["listen"])
    deadline = time.monotonic() + 60
    while dht_nodes(session) < int(args.get("min_nodes", 8)):
        if time.monotonic() > deadline:
            fail("the libtorrent downloader's DHT knows %d nodes after 60 s" % dht_nodes(session))
        wait_for_alert(session, 50)
        session.pop_alerts()
    emit({"event": "joined", "nodes": dht_nodes(session)})

    params = lt.parse_magnet_uri(args["magnet"])
    params.save_path = args["save_path"]
    start = time.monotonic()
    handle = session.add_torrent(params)
    times = {}
    while "complete_s" not in times:
        if time.monotonic() - start > limit:
            fail("timed out after %g s; reached %s; state %s" % (limit, times, handle.status().state))
        wait_for_alert(session, 20)
        now = time.monotonic() - start
        for alert in session.pop_alerts():
            if isinstance(alert, lt.metadata_received_alert):
                times.setdefault("metadata_s", now)
            elif isinstance(alert, lt.piece_finished_alert):
                times.setdefault("first_piece_s", now)
            elif isinstance(alert, lt.torrent_finished_alert):
                times.setdefault("complete_s", now)
            elif isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert, lt.metadata_failed_alert)):
                fail(alert.message())
    times.setdefault("metadata_s", times["complete_s"])
    times.setdefault("first_piece_s", times["complete_s"])
    # torrent_finished comes when every piece passed its hash, which may be before the last blocks reach the file:
    # the script compares the file as soon as "done" is printed, so flush first (outside the measured times).
    handle.flush_cache()
    flush_deadline = time.monotonic() + 10
    flushed = False
    while not flushed and time.monotonic() < flush_deadline:
        wait_for_alert(session, 100)
        flushed = any(isinstance(alert, lt.cache_flushed_alert) for alert in session.pop_alerts())
    emit(dict(event="done", name=handle.status().name, **times))
    session.pause()


def rpc(api, method, params=None, timeout=30):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}).encode()
    request = urllib.request.Request(api, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError("%s: %s" % (method, answer["error"]))
    return answer["result"]


def ours_download(args):
    api, limit, poll = args["api"], float(args.get("limit_s", 300)), float(args.get("poll_s", 0.01))
    deadline = time.monotonic() + 60
    nodes, last = 0, None
    while nodes < int(args.get("min_nodes", 1)):
        if time.monotonic() > deadline:
            fail("our node's bittorrent.dht.nodes is %d after 60 s; last status: %s" % (nodes, json.dumps(last)[:600]))
        try:
            last = rpc(api, "status", timeout=5)
            dht = (last.get("bittorrent") or {}).get("dht")
            if dht is None and time.monotonic() > deadline - 50:
                fail("status has no bittorrent.dht object (no Mainline DHT in this build?): %s" % json.dumps(last)[:400])
            nodes = int((dht or {}).get("nodes") or 0)
        except (OSError, ValueError):
            pass  # not listening yet
        time.sleep(0.05)
    emit({"event": "joined", "nodes": nodes})

    info_hash = args["magnet"].split("urn:btih:", 1)[1].split("&", 1)[0].lower()
    start = time.monotonic()
    try:
        rpc(api, "get", {"uri": args["magnet"]})
    except RuntimeError as error:
        fail(str(error))
    times, entry = {}, {}
    while "complete_s" not in times:
        now = time.monotonic() - start
        if now > limit:
            fail("timed out after %g s; reached %s; last file_list entry %s" % (limit, times, json.dumps(entry)[:600]))
        items = rpc(api, "file_list", {"info_hash": info_hash}).get("items") or []
        now = time.monotonic() - start
        entry = items[0] if items else {}
        status = entry.get("status")
        if status in ("stopped", "failed"):
            fail("the torrent is %s: %s" % (status, json.dumps(entry)[:600]))
        if status is not None and status != "metadata":
            times.setdefault("metadata_s", now)
        if (entry.get("pieces_have") or 0) >= 1:
            times.setdefault("first_piece_s", now)
        if status == "completed":
            times.setdefault("complete_s", now)
        time.sleep(poll)
    emit(dict(event="done", path=entry.get("download_path"), **times))


def main():
    mode = sys.argv[1]
    if mode == "free-port":
        print(free_port(sys.argv[2]))
        return
    args = json.loads(sys.argv[2])
    if mode != "ours-download" and lt is None:
        fail("/usr/bin/python3 cannot import libtorrent (install python3-libtorrent)")
    {"swarm": swarm, "lt-download": lt_download, "ours-download": ours_download}[mode](args)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # one JSON line the script can show
        emit({"event": "error", "fatal": True, "message": "%s: %s" % (type(error).__name__, error)})
        sys.exit(2)
