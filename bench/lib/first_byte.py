#!/usr/bin/python3
"""Clocks for bench/first-byte.sh: the time from the "click" to the first bytes of a transfer not yet downloaded.

  first_byte.py ours '<json>'
      {"api": "http://127.0.0.1:PORT", "target": URI or path, "peers": ["127.0.0.1:PORT"], "download_directory": DIR,
       "mib": 1}
      Against a running node: POST `get` (what the web UI's "add" and a player's launcher send), then at once
      GET its streaming URL with "Range: bytes=0-" as a media player does. Prints one JSON line of seconds from
      the `get` request: get_s (its answer), headers_s (the /stream answer's headers), first_byte_s (the first
      body byte) and mib_s (the first MiB of the body), plus stream_first_byte_s (from the /stream request alone)
      and the first MiB's bytes' SHA-256 (to compare with the source's). Then waits until the transfer has
      completed, so the node is idle again for the next click.

  first_byte.py lt '<json>'    (needs Debian's python3-libtorrent, /usr/bin/python3)
      {"torrent": PATH, "save_path": DIR, "listen": "127.0.0.x", "peer": "127.0.0.1:PORT", "mib": 1}
      libtorrent's yardstick: a session already listening, then the torrent is added with the seeder as its
      peer and streaming deadlines on the pieces of the first MiB (set_piece_deadline, what libtorrent-based
      players do). Prints first_piece_s (piece 0 verified) and mib_s (every piece under the first MiB verified),
      seconds from add_torrent.
"""
import hashlib
import http.client
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "SmartShare.Interop.Tests", "Clients"))


def fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(1)


def ours(args):
    api = urllib.parse.urlparse(args["api"])
    want = int(args.get("mib", 1)) * 1024 * 1024
    rpc = http.client.HTTPConnection(api.hostname, api.port, timeout=120)
    player = http.client.HTTPConnection(api.hostname, api.port, timeout=120)
    # Both connections open before the click, as a browser's or player's would be.
    rpc.connect()
    player.connect()
    params = {"uri": args["target"], "download_directory": args["download_directory"]}
    if args.get("peers"):
        params["peers"] = args["peers"]
    body = json.dumps({"method": "get", "params": params})

    started = time.monotonic()
    rpc.request("POST", "/", body, {"Content-Type": "application/json"})
    answer = json.loads(rpc.getresponse().read())
    got = time.monotonic()
    if "error" in answer:
        fail("get failed: %s" % answer["error"])
    result = answer["result"]
    url = result.get("streaming_url") or "/stream/" + result["key"]
    path = urllib.parse.urlparse(url)
    target = path.path + ("?" + path.query if path.query else "")

    asked = time.monotonic()
    player.request("GET", target, headers={"Range": "bytes=0-"})
    response = player.getresponse()
    headers = time.monotonic()
    if response.status not in (200, 206):
        fail("GET %s answered %d: %s" % (target, response.status, response.read(2000).decode("utf-8", "replace").strip()))
    first = response.read(1)
    first_at = time.monotonic()
    if len(first) != 1:
        fail("GET %s sent no body" % target)
    digest = hashlib.sha256(first)
    have = 1
    while have < want:
        chunk = response.read1(min(65536, want - have))
        if not chunk:
            break
        digest.update(chunk)
        have += len(chunk)
    mib_at = time.monotonic()
    player.close()

    # The transfer runs on to its end after the player stops reading: wait for it (file_list every 50 ms, up to
    # 300 s) so the next click is measured on an idle node, not next to this download.
    limit = time.monotonic() + 300
    while True:
        rpc.request("POST", "/", json.dumps({"method": "file_list", "params": {"key": result["key"], "files_limit": 0}}),
                    {"Content-Type": "application/json"})
        items = json.loads(rpc.getresponse().read())["result"]["items"]
        state = items[0]["state"] if items else "missing"
        if state in ("seeding", "completed"):
            break
        if state in ("failed", "stopped", "missing") or time.monotonic() > limit:
            fail("the transfer did not complete after the click: %s" % state)
        time.sleep(0.05)
    print(json.dumps({
        "get_s": got - started,
        "headers_s": headers - started,
        "first_byte_s": first_at - started,
        "mib_s": mib_at - started,
        "stream_first_byte_s": first_at - asked,
        "bytes": have,
        "sha256": digest.hexdigest(),
        "status": response.status,
    }))


def lt_reference(args):
    import libtorrent as lt
    from lt_common import endpoint, keep_on_loopback, wait_for_alert

    host = args["listen"]
    settings = {
        "listen_interfaces": "%s:0" % host,
        "outgoing_interfaces": host,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_dht": False,
        "enable_ip_notifier": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "alert_mask": lt.alert.category_t.status_notification | lt.alert.category_t.error_notification | lt.alert.category_t.piece_progress_notification,
    }
    session = lt.session(settings)
    keep_on_loopback(lt, session)
    deadline = time.monotonic() + 20
    listening = False
    while not listening:
        if time.monotonic() > deadline:
            fail("libtorrent did not start listening")
        wait_for_alert(session, 200)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.listen_succeeded_alert):
                listening = True

    info = lt.torrent_info(args["torrent"])
    want = min(int(args.get("mib", 1)) * 1024 * 1024, info.total_size())
    last_piece = (want - 1) // info.piece_length()
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = args["save_path"]

    started = time.monotonic()
    handle = session.add_torrent(params)
    for piece in range(last_piece + 1):
        handle.set_piece_deadline(piece, 0)
    handle.connect_peer(endpoint(args["peer"]))
    first_at = None
    pending = set(range(last_piece + 1))
    limit = started + 120
    while pending:
        if time.monotonic() > limit:
            fail("libtorrent got no first MiB within 120 s")
        wait_for_alert(session, 50)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.piece_finished_alert):
                if alert.piece_index == 0 and first_at is None:
                    first_at = time.monotonic()
                pending.discard(alert.piece_index)
            elif isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert)):
                fail("libtorrent: " + alert.message())
    print(json.dumps({"first_piece_s": first_at - started, "mib_s": time.monotonic() - started, "piece_length": info.piece_length()}))
    session.pause()


def main():
    mode, raw = sys.argv[1], sys.argv[2]
    args = json.loads(raw)
    if mode == "ours":
        ours(args)
    elif mode == "lt":
        lt_reference(args)
    else:
        fail("unknown mode " + mode)


if __name__ == "__main__":
    main()
