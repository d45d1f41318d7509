#!/usr/bin/python3
"""A libtorrent 2.0 peer with local service discovery (BEP 14) on, for the namespace LAN tests: no DHT, no
trackers, no UPnP/NAT-PMP. It only ever runs inside a test's network namespace (ip netns exec).

Usage: /usr/bin/python3 lt_lsd.py '<json>' with
  mode       "seed" or "download"
  torrent    path of the .torrent file
  save_path  folder holding (seed) or receiving (download) the content
  listen     "ADDRESS:PORT" to listen on (the namespace's LAN address)
  peers      optional ["ADDRESS:PORT", ...] to connect to as well (a peer named by a .smartshare file or magnet)

Prints one JSON object per line: {"event":"listening"}, {"event":"lsd_peer","peer":"ip:port"} (a connected peer
whose source LSD was),
{"event":"progress","done":..,"total":..,"peers":..}, {"event":"finished"}, {"event":"error","message":..}.
Quits at the end of stdin.
"""
import json
import sys
import threading
import time

import libtorrent as lt
from lt_common import wait_for_alert  # linked beside this script


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    args = json.loads(sys.argv[1])
    session = lt.session({
        "listen_interfaces": args["listen"],
        "enable_lsd": True,
        "enable_dht": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "min_reconnect_time": 1,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
        | lt.alert.category_t.peer_notification | lt.alert.category_t.storage_notification,
        "user_agent": "lt_lsd/" + lt.__version__,
    })
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(args["torrent"])
    params.save_path = args["save_path"]
    handle = session.add_torrent(params)
    emit({"event": "listening", "port": session.listen_port()})
    for peer in args.get("peers", []):
        host, _, port = peer.rpartition(":")
        handle.connect_peer((host.strip("[]"), int(port)))

    done = threading.Event()

    def read():
        for _ in sys.stdin:
            pass
        done.set()

    threading.Thread(target=read, daemon=True).start()
    finished = False
    flushing_since = None
    next_progress = 0.0
    lsd_peers = set()
    while not done.is_set():
        wait_for_alert(session, 100)
        for alert in session.pop_alerts():
            if isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert, lt.lsd_error_alert)):
                emit({"event": "error", "message": alert.message()})
            elif isinstance(alert, lt.cache_flushed_alert) and flushing_since is not None and not finished:
                finished = True
                emit({"event": "finished"})
        for peer in handle.get_peer_info():
            address = "%s:%d" % tuple(peer.ip)
            if peer.source & lt.peer_info.lsd and address not in lsd_peers:
                lsd_peers.add(address)
                emit({"event": "lsd_peer", "peer": address})
        status = handle.status()
        if not finished and status.is_seeding:
            if args["mode"] == "seed":
                finished = True
                emit({"event": "finished"})
            elif flushing_since is None:
                flushing_since = time.monotonic()
                handle.flush_cache()
        if not finished and flushing_since is not None and time.monotonic() - flushing_since > 5:
            finished = True
            emit({"event": "finished"})
        now = time.monotonic()
        if now >= next_progress:
            next_progress = now + 1.0
            emit({"event": "progress", "done": status.total_wanted_done, "total": status.total_wanted, "peers": status.num_peers})
    session.pause()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:
        emit({"event": "error", "fatal": True, "message": "%s: %s" % (type(error).__name__, error)})
        sys.exit(2)
