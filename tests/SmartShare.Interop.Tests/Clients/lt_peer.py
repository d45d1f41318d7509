#!/usr/bin/python3
"""A libtorrent peer for interop tests and benchmarks, kept on loopback.

Usage: /usr/bin/python3 lt_peer.py '<json>'   (or the JSON on the first stdin line when no argument is given)

JSON arguments:
  mode          "seed" or "download"
  torrent       path of a .torrent file       (or)
  magnet        a magnet URI
  save_path     folder holding (seed) or receiving (download) the content
  listen        "127.0.0.x:port" or "[::1]:port" (port 0 picks a free one; the listening event tells which)
  peers         optional list of "127.0.0.x:port" to connect to once the torrent is added
  dht           optional bool (default false); dht_bootstrap_nodes optional list of "127.0.0.x:port" or "[::1]:port"
  encryption    optional "enabled" (default), "forced", "disabled", "plaintext" (handshake encryption allowed, plaintext payload)
                or "rc4" (MSE required both ways, RC4 only)
  seed_mode     optional bool: trust the files when seeding instead of checking them (fast start for big files)
  transport     optional "tcp" (default: TCP only), "utp" (uTP only, BEP 29: TCP neither dialled nor accepted) or "both"
  settings      optional dict of further libtorrent settings, applied last

Prints one JSON object per line on stdout:
  {"event":"listening","address":"127.0.0.x","port":N}
  {"event":"added","info_hash":"<40 hex>"}
  {"event":"progress","done":bytes,"total":bytes,"rate":download_bytes_per_s,"upload_rate":..,"peers":n,"state":".."}  every 0.5 s
  {"event":"finished","time":T}   the torrent has every piece (a seeder prints it once checked); T is time.time() then
  {"event":"error","message":".."}
  {"event":"peerlog","message":".."}   a peer connected, failed or was disconnected (with libtorrent's reason)
  {"event":"dht_peers","info_hash":"<40 hex>","peers":["ip:port",..]}   answers to dht_get_peers (with dht on)
Reads JSON commands on stdin: {"cmd":"connect","peer":"127.0.0.x:port"}, {"cmd":"quit"},
  {"cmd":"dht_get_peers","info_hash":"<40 hex>"} (a DHT lookup of that info hash; each reply prints dht_peers).
Exits on quit, on end of stdin, or with status 2 on a fatal error.
"""
import json
import sys
import threading
import time

import libtorrent as lt

from lt_common import emit, endpoint, keep_on_loopback, listen_text, read_commands, wait_for_alert


def main():
    raw = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.readline()
    args = json.loads(raw)
    mode = args["mode"]
    host, port = endpoint(args["listen"])
    dht = bool(args.get("dht", False))
    bootstrap = [endpoint(n) for n in args.get("dht_bootstrap_nodes", [])]
    enc = args.get("encryption", "enabled")
    transport = args.get("transport", "tcp")
    if transport not in ("tcp", "utp", "both"):
        raise ValueError("transport must be tcp, utp or both")
    utp, tcp = transport in ("utp", "both"), transport in ("tcp", "both")

    settings = {
        "listen_interfaces": listen_text(host, port),
        "outgoing_interfaces": host,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_ip_notifier": False,
        "enable_outgoing_utp": utp,
        "enable_incoming_utp": utp,
        "enable_outgoing_tcp": tcp,
        "enable_incoming_tcp": tcp,
        "enable_dht": dht,
        "dht_bootstrap_nodes": ",".join(listen_text(*n) for n in bootstrap),
        "allow_multiple_connections_per_ip": True,
        "min_reconnect_time": 1,
        "apply_ip_filter_to_trackers": True,
        "announce_ip": host,
        "alert_mask": lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification | lt.alert.category_t.error_notification | lt.alert.category_t.status_notification | lt.alert.category_t.storage_notification
        | (lt.alert.category_t.dht_operation_notification if dht else 0),
        # Several DHT nodes share 127.0.0.1-ish addresses in tests (facts point 4).
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_block_ratelimit": 1000,
        "dht_upload_rate_limit": 1000000,
        "dht_announce_interval": 5,
        "user_agent": "lt_peer/" + lt.__version__,
    }
    policy = {"enabled": (1, 3), "forced": (0, 3), "disabled": (2, 3), "plaintext": (1, 1), "rc4": (0, 2)}
    if enc not in policy:
        raise ValueError("encryption must be one of " + ", ".join(policy))
    settings["out_enc_policy"], settings["allowed_enc_level"] = policy[enc]
    settings["in_enc_policy"] = settings["out_enc_policy"]
    settings.update(args.get("settings", {}))

    session = lt.session(settings)
    keep_on_loopback(lt, session)

    # Wait for the TCP listen socket before anything else, so the port printed is real.
    deadline = time.monotonic() + 20
    listening = False
    while not listening:
        if time.monotonic() > deadline:
            raise RuntimeError("libtorrent did not start listening on %s:%d" % (host, port))
        wait_for_alert(session, 200)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.listen_failed_alert):
                raise RuntimeError("listen failed: " + alert.message())
            if isinstance(alert, lt.listen_succeeded_alert) and alert.socket_type == lt.socket_type_t.tcp:
                listening = True
    emit({"event": "listening", "address": host, "port": session.listen_port()})

    if "magnet" in args:
        params = lt.parse_magnet_uri(args["magnet"])
    else:
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(args["torrent"])
    params.save_path = args["save_path"]
    if mode == "seed" and args.get("seed_mode", False):
        params.flags |= lt.torrent_flags.seed_mode
    handle = session.add_torrent(params)
    info_hash = str(handle.info_hashes().v1) if hasattr(handle, "info_hashes") else str(handle.info_hash())
    emit({"event": "added", "info_hash": info_hash})

    commands = []
    commands_lock = threading.Lock()

    def queue_command(command):
        with commands_lock:
            commands.append(command)

    quit_event = read_commands(queue_command)

    for peer in args.get("peers", []):
        handle.connect_peer(endpoint(peer))

    finished = False
    flushing_since = None  # a finished download's writes are flushed before "finished" is told
    next_progress = 0.0
    while not quit_event.is_set():
        wait_for_alert(session, 100)
        for alert in session.pop_alerts():
            if isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert, lt.metadata_failed_alert)):
                emit({"event": "error", "message": alert.message()})
            elif isinstance(alert, (lt.peer_disconnected_alert, lt.peer_error_alert, lt.peer_connect_alert)):
                emit({"event": "peerlog", "message": alert.message()})
            elif isinstance(alert, lt.tracker_error_alert):
                emit({"event": "tracker_error", "message": alert.message()})
            elif isinstance(alert, lt.cache_flushed_alert) and flushing_since is not None and not finished:
                finished = True
                emit({"event": "finished", "time": time.time()})
            elif isinstance(alert, lt.dht_get_peers_reply_alert):
                emit({"event": "dht_peers", "info_hash": str(alert.info_hash),
                      "peers": ["%s:%d" % (ip, p) for ip, p in alert.peers()]})
        with commands_lock:
            pending, commands[:] = list(commands), []
        for command in pending:
            if command.get("cmd") == "connect":
                try:
                    handle.connect_peer(endpoint(command["peer"]))
                except (KeyError, ValueError) as error:
                    emit({"event": "error", "message": "connect: %s" % error})
            elif command.get("cmd") == "dht_get_peers":
                try:
                    session.dht_get_peers(lt.sha1_hash(bytes.fromhex(command["info_hash"])))
                except (KeyError, ValueError) as error:
                    emit({"event": "error", "message": "dht_get_peers: %s" % error})
            else:
                emit({"event": "error", "message": "unknown command %r" % command})
        status = handle.status()
        if not finished and status.is_seeding and flushing_since is None:
            emit({"event": "progress", "done": status.total_wanted_done, "total": status.total_wanted,
                  "rate": status.download_payload_rate, "upload_rate": status.upload_payload_rate,
                  "peers": status.num_peers, "state": str(status.state)})
            if mode == "seed":
                finished = True
                emit({"event": "finished", "time": time.time()})
            else:
                # libtorrent may tell "seeding" while its disk threads still write the last blocks: a test that
                # reads the file at once could see old bytes. Flush, and tell "finished" on cache_flushed_alert
                # (or after 5 s, whichever comes first).
                flushing_since = time.monotonic()
                handle.flush_cache()
        if not finished and flushing_since is not None and time.monotonic() - flushing_since > 5:
            finished = True
            emit({"event": "finished", "time": time.time()})
        now = time.monotonic()
        if now >= next_progress:
            next_progress = now + 0.5
            emit({"event": "progress", "done": status.total_wanted_done, "total": status.total_wanted,
                  "rate": status.download_payload_rate, "upload_rate": status.upload_payload_rate,
                  "peers": status.num_peers, "state": str(status.state)})
    session.pause()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # report anything as one JSON line the fixture can show
        emit({"event": "error", "fatal": True, "message": "%s: %s" % (type(error).__name__, error)})
        sys.exit(2)
