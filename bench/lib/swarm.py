#!/usr/bin/python3
"""Helpers of bench/swarm.sh (run with Debian's /usr/bin/python3, which has python3-libtorrent).

  swarm.py leechers '<json>'    N libtorrent leecher sessions in this one process, each on its own address
  swarm.py seeders '<json>'     N libtorrent seeder sessions in this one process, each on its own address
  swarm.py retracker IN OUT URL a copy of the .torrent IN naming only the tracker URL (same info hash)
  swarm.py wait-seeders '<json>' waits until a tracker's scrape counts N complete peers of an info hash
  swarm.py ours-seed '<json>'   our running node shares a file as a torrent with a tracker and seeds it
  swarm.py ours-leech '<json>'  one timed download of a .torrent by our running node (JSON-RPC)

Each prints JSON lines on stdout. Everything stays on 127.0.0.0/8; libtorrent's DHT, LSD, UPnP, NAT-PMP and uTP
are off (TCP only, like bench/torrent-throughput.sh), its unchoke slots and choker are libtorrent's defaults. The
long-running modes quit on {"cmd":"quit"} or the end of stdin.

leechers JSON: {"torrent": PATH, "addresses": ["127.0.0.11", ...], "save_root": DIR, "limit_s": 300}
  prints {"event":"listening","address":..,"port":..} per session, then {"event":"ready"}; on {"cmd":"go"} adds
  the torrent to every session at once (each saves under save_root/INDEX and finds its peers through the
  torrent's tracker) and prints {"event":"finished","leecher":i,"seconds":..} as each one has every piece,
  {"event":"progress",..} every second, and {"event":"done","seconds":..,"times":[..]} once all have finished.
seeders JSON: {"torrent": PATH, "addresses": [...], "save_path": DIR}
  seeds the file in save_path (seed mode: trusted, not checked) from every session; prints
  {"event":"listening",..} per session and {"event":"ready"} once every session has had a tracker reply.
wait-seeders JSON: {"tracker": "http://127.0.0.1:P", "info_hash": HEX, "complete": N, "limit_s": 60}
ours-seed JSON: {"api": URL, "file": PATH, "torrent": PATH, "tracker": URL, "limit_s": 300}
  prints {"event":"seeding","info_hash":..,"piece_length":..} once file_list says the torrent is seeding.
ours-leech JSON: {"api": URL, "torrent": PATH, "download_directory": DIR, "poll_s": 0.01, "limit_s": 300}
  calls get and polls file_list: {"event":"done","seconds":..,"path":..} once it is completed.
"""
import json
import os
import sys
import threading
import time
import urllib.parse
import urllib.request

try:
    import libtorrent as lt
except ImportError:  # the ours-* and wait-seeders modes need no libtorrent
    lt = None

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "SmartShare.Interop.Tests", "Clients"))
from lt_common import emit, keep_on_loopback, wait_for_alert  # noqa: E402


def fail(message):
    emit({"event": "error", "message": message})
    sys.exit(2)


def on_loopback(address):
    if not address.startswith("127."):
        raise ValueError("only 127.0.0.0/8 addresses are allowed, not " + address)
    return address


def session_for(address):
    categories = lt.alert.category_t
    settings = {
        "listen_interfaces": "%s:0" % on_loopback(address),
        "outgoing_interfaces": address,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_ip_notifier": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "enable_dht": False,
        "allow_multiple_connections_per_ip": True,
        "min_reconnect_time": 1,
        "announce_ip": address,
        "apply_ip_filter_to_trackers": True,
        "alert_mask": categories.error_notification | categories.status_notification | categories.storage_notification
        | categories.tracker_notification,
        "user_agent": "swarm_bench/" + lt.__version__,
    }
    session = lt.session(settings)
    keep_on_loopback(lt, session)
    return session


def listen_port(session, address, deadline_s=20):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        wait_for_alert(session, 200)
        for alert in session.pop_alerts():
            if isinstance(alert, lt.listen_failed_alert):
                raise RuntimeError("listen failed on %s: %s" % (address, alert.message()))
            if isinstance(alert, lt.listen_succeeded_alert) and alert.socket_type == lt.socket_type_t.tcp:
                return alert.port
    raise RuntimeError("libtorrent did not listen on " + address)


def commands():
    """A list filled with stdin's commands on a daemon thread, and an event set on quit or end of stdin."""
    queue, stop = [], threading.Event()

    def read():
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            command = json.loads(line)
            if command.get("cmd") == "quit":
                break
            queue.append(command)
        stop.set()

    threading.Thread(target=read, daemon=True).start()
    return queue, stop


def start_sessions(addresses):
    sessions = []
    for address in addresses:
        session = session_for(address)
        port = listen_port(session, address)
        sessions.append(session)
        emit({"event": "listening", "address": address, "port": port})
    return sessions


def leechers(args):
    limit = float(args.get("limit_s", 300))
    info = lt.torrent_info(args["torrent"])
    sessions = start_sessions(args["addresses"])
    queue, stop = commands()
    emit({"event": "ready"})
    while not queue:
        if stop.is_set():
            return
        time.sleep(0.01)
    handles = []
    start = time.monotonic()
    for index, session in enumerate(sessions):
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(info)
        params.save_path = os.path.join(args["save_root"], str(index))
        handles.append(session.add_torrent(params))
    times = [None] * len(sessions)
    next_progress = start + 1
    while None in times and not stop.is_set():
        now = time.monotonic()
        if now - start > limit:
            fail("timed out after %g s; finished: %s; done bytes: %s" % (limit, times, [h.status().total_wanted_done for h in handles]))
        for index, session in enumerate(sessions):
            for alert in session.pop_alerts():
                if isinstance(alert, lt.torrent_finished_alert) and times[index] is None:
                    times[index] = time.monotonic() - start
                    emit({"event": "finished", "leecher": index, "seconds": times[index]})
                elif isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert)):
                    fail("leecher %d: %s" % (index, alert.message()))
        if now >= next_progress:
            next_progress += 1
            states = [h.status() for h in handles]
            emit({"event": "progress", "seconds": round(now - start, 2), "done": [s.total_wanted_done for s in states],
                  "peers": [s.num_peers for s in states], "rate": [s.download_payload_rate for s in states]})
        time.sleep(0.005)
    if None in times:
        return
    # What the seeder sent: every payload byte a leecher got came from the seeder or from another leecher, so the
    # seeder's share is all that was received less all that the leechers sent (snapshots taken together, at once).
    states = [h.status() for h in handles]
    from_seeder = sum(s.total_payload_download for s in states) - sum(s.total_payload_upload for s in states)
    emit({"event": "done", "seconds": max(times), "times": times, "seeder_bytes": max(0, from_seeder)})
    # Keep seeding (as real leechers do) until told to quit, then let the disk threads finish the files.
    stop.wait()
    for handle in handles:
        handle.flush_cache()
    for session in sessions:
        session.pause()


def seeders(args):
    info = lt.torrent_info(args["torrent"])
    sessions = start_sessions(args["addresses"])
    replied = set()
    for session in sessions:
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(info)
        params.save_path = args["save_path"]
        params.flags |= lt.torrent_flags.seed_mode
        session.add_torrent(params)
    _, stop = commands()
    ready = False
    while not stop.is_set():
        for index, session in enumerate(sessions):
            for alert in session.pop_alerts():
                if isinstance(alert, lt.tracker_reply_alert):
                    replied.add(index)
                elif isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert, lt.tracker_error_alert)):
                    emit({"event": "error", "seeder": index, "message": alert.message()})
        if not ready and len(replied) == len(sessions):
            ready = True
            emit({"event": "ready"})
        time.sleep(0.02)
    for session in sessions:
        session.pause()


def retracker(source, target, url):
    data = lt.bdecode(open(source, "rb").read())
    data[b"announce"] = url.encode()
    data.pop(b"announce-list", None)
    with open(target, "wb") as out:
        out.write(lt.bencode(data))
    before, after = lt.torrent_info(source).info_hash(), lt.torrent_info(target).info_hash()
    if before != after:
        fail("rewriting the tracker changed the info hash (%s to %s)" % (before, after))
    emit({"event": "retracked", "info_hash": str(after)})


def wait_seeders(args):
    query = "/scrape?info_hash=" + urllib.parse.quote(bytes.fromhex(args["info_hash"]))
    deadline = time.monotonic() + float(args.get("limit_s", 60))
    answer = b""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(args["tracker"] + query, timeout=5) as response:
                answer = response.read()
            at = answer.find(b"8:completei")
            if at >= 0 and int(answer[at + 11:].split(b"e", 1)[0]) >= int(args["complete"]):
                emit({"event": "seeders", "complete": int(answer[at + 11:].split(b"e", 1)[0])})
                return
        except OSError:
            pass
        time.sleep(0.05)
    fail("the tracker does not count %s seeder(s) after %s s; last scrape %r" % (args["complete"], args.get("limit_s", 60), answer[:300]))


def rpc(api, method, params=None, timeout=60):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}).encode()
    request = urllib.request.Request(api, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError("%s: %s" % (method, json.dumps(answer["error"])[:600]))
    return answer["result"]


def entry_of(api, info_hash):
    items = rpc(api, "file_list", {"info_hash": info_hash}).get("items") or []
    return items[0] if items else {}


def ours_seed(args):
    api, limit = args["api"], float(args.get("limit_s", 300))
    shared = rpc(api, "stream_create", {"file_path": args["file"], "torrent": True, "torrent_path": args["torrent"],
                                        "trackers": [args["tracker"]], "overwrite": True}, timeout=limit)
    info_hash = shared["info_hash"]
    deadline = time.monotonic() + limit
    entry = {}
    while not entry.get("seeding"):
        if time.monotonic() > deadline:
            fail("our node does not seed %s after %g s: %s" % (info_hash, limit, json.dumps(entry)[:600]))
        entry = entry_of(api, info_hash)
        time.sleep(0.05)
    emit({"event": "seeding", "info_hash": info_hash, "piece_length": shared.get("piece_length")})


def ours_leech(args):
    api, limit, poll = args["api"], float(args.get("limit_s", 300)), float(args.get("poll_s", 0.01))
    info_hash = None
    start = time.monotonic()
    answer = rpc(api, "get", {"uri": args["torrent"], "download_directory": args["download_directory"]})
    info_hash = answer.get("info_hash")
    if not info_hash:
        fail("get answered no info_hash: %s" % json.dumps(answer)[:600])
    entry = {}
    while entry.get("status") != "completed":
        if time.monotonic() - start > limit:
            fail("timed out after %g s; last file_list entry %s" % (limit, json.dumps(entry)[:600]))
        entry = entry_of(api, info_hash)
        if entry.get("status") in ("stopped", "failed"):
            fail("the torrent is %s: %s" % (entry.get("status"), json.dumps(entry)[:600]))
        time.sleep(poll)
    emit({"event": "done", "seconds": time.monotonic() - start, "path": entry.get("download_path")})


def main():
    mode = sys.argv[1]
    if mode not in ("ours-seed", "ours-leech", "wait-seeders") and lt is None:
        fail("/usr/bin/python3 cannot import libtorrent (install python3-libtorrent)")
    if mode == "retracker":
        retracker(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    args = json.loads(sys.argv[2])
    {"leechers": leechers, "seeders": seeders, "wait-seeders": wait_seeders, "ours-seed": ours_seed,
     "ours-leech": ours_leech}[mode](args)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # one JSON line the script can show
        emit({"event": "error", "fatal": True, "message": "%s: %s" % (type(error).__name__, error)})
        sys.exit(2)
