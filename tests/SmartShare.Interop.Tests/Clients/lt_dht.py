#!/usr/bin/python3
"""Pure libtorrent Mainline DHT nodes (BEP 5) for interop tests and benchmarks, kept on loopback.

A node is a libtorrent session with the DHT on and no torrent: a bootstrap node for other clients, or one of
many nodes of a loopback DHT. It is separate from lt_peer.py (which seeds and downloads) so the two evolve
apart; both use the same loopback-only settings.

Usage: /usr/bin/python3 lt_dht.py '<json>'   (or the JSON on the first stdin line when no argument is given)

JSON arguments:
  listen               list of "127.x.y.z:port", one node (session) each; port 0 picks a free one
  dht_bootstrap_nodes  optional list of "127.x.y.z:port" every node joins through (besides the chain below)
  chain                optional bool (default true): node i also bootstraps from node 0 and from node i-1, so a
                       set of nodes started together forms one DHT without any outside node
  settings             optional dict of further libtorrent settings, applied last

Prints one JSON object per line on stdout:
  {"event":"node","index":i,"address":"127.x.y.z","port":N}    once per node, N its UDP (DHT) port
  {"event":"ready","count":n}                                                     after every node printed
  {"event":"dht_stats","nodes":[routing-table size of each node]}   checked every 0.5 s, printed when it changes
  {"event":"announce","node":i,"info_hash":"<40 hex>","ip":"127.x.y.z","port":N}   node i stored an announce_peer
  {"event":"error","message":".."}
Reads JSON commands on stdin: {"cmd":"quit"}. Exits on quit, on end of stdin, or with status 2 on a fatal error.
"""
import json
import sys
import time
import warnings

import libtorrent as lt

from lt_common import emit, endpoint, keep_on_loopback, read_commands, wait_for_alert


def dht_settings(host, port, bootstrap, extra):
    """A session that only runs the DHT, on loopback, with the per-IP limits relaxed (facts point 4)."""
    settings = {
        "listen_interfaces": "%s:%d" % (host, port),
        "outgoing_interfaces": host,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_ip_notifier": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "enable_dht": True,
        # Never the public router that is libtorrent's default.
        "dht_bootstrap_nodes": ",".join("%s:%d" % n for n in bootstrap),
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_block_ratelimit": 1000,
        "dht_upload_rate_limit": 1000000,
        "dht_max_fail_count": 100,
        "apply_ip_filter_to_trackers": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
        | lt.alert.category_t.dht_notification,
        "user_agent": "lt_dht/" + lt.__version__,
    }
    settings.update(extra)
    return settings


def wait_listening(session, host, port):
    """Waits for the UDP socket (where the DHT runs, facts point 10) and returns its port."""
    deadline = time.monotonic() + 20
    while True:
        if time.monotonic() > deadline:
            raise RuntimeError("libtorrent did not start listening on %s:%d" % (host, port))
        wait_for_alert(session, 200)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.listen_failed_alert):
                raise RuntimeError("listen failed: " + alert.message())
            if isinstance(alert, lt.listen_succeeded_alert) and alert.socket_type == lt.socket_type_t.udp:
                return alert.port


def routing_table_size(session):
    """Nodes in the session's DHT routing table, or -1 if this libtorrent cannot tell."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return session.status().dht_nodes
    except AttributeError:
        return -1


def main():
    raw = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.readline()
    args = json.loads(raw)
    listen = [endpoint(text) for text in args["listen"]]
    bootstrap = [endpoint(text) for text in args.get("dht_bootstrap_nodes", [])]
    chain = bool(args.get("chain", True))
    extra = args.get("settings", {})

    sessions = []
    nodes = []
    for index, (host, port) in enumerate(listen):
        joins = list(bootstrap)
        if chain and nodes:
            for node in (nodes[0], nodes[-1]):
                if node not in joins:
                    joins.append(node)
        session = lt.session(dht_settings(host, port, joins, extra))
        keep_on_loopback(lt, session)
        udp_port = wait_listening(session, host, port)
        sessions.append(session)
        nodes.append((host, udp_port))
        emit({"event": "node", "index": index, "address": host, "port": udp_port})
    emit({"event": "ready", "count": len(sessions)})

    quit_event = read_commands(lambda command: emit({"event": "error", "message": "unknown command %r" % command}))


    last_sizes = None
    while not quit_event.wait(0.5):
        for index, session in enumerate(sessions):
            for alert in session.pop_alerts():
                if isinstance(alert, (lt.udp_error_alert, lt.listen_failed_alert)):
                    emit({"event": "error", "message": alert.message()})
                elif isinstance(alert, lt.dht_announce_alert):
                    emit({"event": "announce", "node": index, "info_hash": str(alert.info_hash),
                          "ip": str(alert.ip), "port": alert.port})
        sizes = [routing_table_size(session) for session in sessions]
        if sizes != last_sizes:
            last_sizes = sizes
            emit({"event": "dht_stats", "nodes": sizes})
    for session in sessions:
        session.pause()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # report anything as one JSON line the fixture can show
        emit({"event": "error", "fatal": True, "message": "%s: %s" % (type(error).__name__, error)})
        sys.exit(2)
