#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/TARGET/ from the LBRY test vectors and hand-made samples.
Run from anywhere: python3 fuzz/make-seeds.py. Small files only; the fuzzer finds the rest."""
import base64, hashlib, json, os, struct, sys

ROOT = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.environ.get("LBRY_VECTORS", os.path.join(ROOT, "..", "..", "shared", "vectors", "lbry"))


def be(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(be(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(be(k) + be(x) for k, x in items) + b"e"
    raise TypeError(v)


def write(target, seeds):
    folder = os.path.join(ROOT, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    # Only this script's own seeds are replaced; others (made by the interop clients) stay.
    for name in os.listdir(folder):
        if name.startswith("seed-"):
            os.remove(os.path.join(folder, name))
    for i, seed in enumerate(seeds):
        if isinstance(seed, str):
            seed = seed.encode()
        with open(os.path.join(folder, "seed-%02d" % i), "wb") as f:
            f.write(seed)


id20 = bytes(range(20))
h20 = hashlib.sha1(b"info").digest()
compact_node = id20 + bytes([1, 2, 3, 4]) + struct.pack(">H", 6881)
compact_peer = bytes([5, 6, 7, 8]) + struct.pack(">H", 51413)

bencode_common = [b"i0e", b"i-42e", b"0:", b"4:spam", b"le", b"de", b"l4:spami42ee",
                  be({"a": 1, "b": [b"x", {"c": b""}], "zz": -7}), b"d1:ad1:ad1:ali1ei2eeeee"]
write("bencode-strict", bencode_common + [be({"info": {"length": 5, "name": "a"}})])

datagrams = json.load(open(os.path.join(VECTORS, "dht-datagrams.json")))["datagrams"]
dht = [bytes.fromhex(d["hex"]) for d in datagrams][:16]
write("bencode-lbry", bencode_common + [b"di0ei1ei1e4:spame"] + dht[:6])
write("lbry-dht", dht)

write("krpc", [
    be({"t": "aa", "y": "q", "q": "ping", "a": {"id": id20}}),
    be({"t": "aa", "y": "q", "q": "find_node", "a": {"id": id20, "target": h20}}),
    be({"t": "aa", "y": "q", "q": "get_peers", "a": {"id": id20, "info_hash": h20}}),
    be({"t": "aa", "y": "q", "q": "announce_peer", "a": {"id": id20, "info_hash": h20, "port": 6881, "token": "tok", "implied_port": 1}}),
    be({"t": "aa", "y": "r", "r": {"id": id20}}),
    be({"t": "aa", "y": "r", "r": {"id": id20, "nodes": compact_node * 2}}),
    be({"t": "aa", "y": "r", "r": {"id": id20, "token": "tok", "values": [compact_peer, bytes(16) + b"\x1a\xe1"]}}),
    be({"t": "aa", "y": "e", "e": [201, "A Generic Error Ocurred"]}),
    be({"t": "aabb", "y": "q", "q": "ping", "a": {"id": id20}, "v": "LT01"}),
    # BEP 32 and BEP 42: an IPv4 and an IPv6 'ip', nodes6 next to nodes, 18-byte IPv6 values, want n4/n6.
    be({"t": "aa", "y": "r", "ip": b"\x0bM\x00\x02\x1a\xe1", "r": {"id": b"mnopqrstuvwxyz123456"}}),
    b"d2:ip18:*\x00\x14P" + bytes(11) + b"\x05\x1a\xe11:eli203e2:noe1:t2:aa1:y1:ee",  # keys out of order, as sent
    be({"t": "aa", "y": "r", "r": {"id": b"mnopqrstuvwxyz123456", "nodes": b"mnopqrstuvwxyz123456\x7f\x00\x00\x01\x1a\xe2",
                                   "nodes6": b"abcdefghij0123456789" + bytes(15) + b"\x01\x1a\xe1", "token": "tok",
                                   "values": [bytes(15) + b"\x01\x1bX"]}}),
    be({"t": "aa", "y": "q", "q": "get_peers", "a": {"id": b"abcdefghij0123456789", "info_hash": b"mnopqrstuvwxyz123456", "want": ["n4", "n6"]}}),
])

pieces = hashlib.sha1(b"hello").digest()
single = {"announce": "http://tracker.example/announce", "info": {"length": 5, "name": "hello.txt", "piece length": 16384, "pieces": pieces}}
multi = {"announce-list": [["http://a.example/announce"], ["udp://b.example:6969"]], "comment": "c", "created by": "SmartShare",
         "creation date": 1700000000,
         "info": {"files": [{"length": 3, "path": ["dir", "a.txt"]}, {"length": 2, "path": ["b.txt"]}, {"length": 0, "path": ["empty"]}],
                  "name": "folder", "piece length": 16384, "pieces": pieces}}
private = {"info": {"length": 40000, "name": "p.bin", "piece length": 16384, "pieces": pieces * 3, "private": 1},
           "url-list": ["http://web.example/p.bin"]}
padded = {"info": {"files": [{"length": 1, "path": ["x"]}, {"attr": "p", "length": 16383, "path": [".pad", "16383"]}, {"length": 1, "path": ["y"]}],
                   "name": "pad", "piece length": 16384, "pieces": pieces * 2}}
write("metainfo", [be(single), be(multi), be(private), be(padded)])

hexhash = h20.hex()
b32 = base64.b32encode(h20).decode()
lan_hash = "0123456789abcdef0123456789abcdef01234567"
write("lan-announce", [
    "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: " + lan_hash + "\r\ncookie: 1a2b3c\r\n\r\n\r\n",
    "BT-SEARCH * HTTP/1.1\r\nHost: [ff15::efc0:988f]:6771\r\nPort: 51413\r\nInfohash: " + lan_hash + "\r\nInfohash: " + lan_hash[::-1] + "\r\n\r\n\r\n",
    "BT-SEARCH * HTTP/1.1\nHost: 239.192.152.143:6771\nPort: 6881\nInfohash: " + lan_hash.upper() + "\n\n\n",
    "LBRY-SEARCH * HTTP/1.1\r\nHost: 239.192.152.144:6772\r\nPort: 4444\r\nDht-Port: 4444\r\nSd-Hash: " + "ab" * 48 + "\r\ncookie: 77\r\n\r\n\r\n",
    "LBRY-SEARCH * HTTP/1.1\r\nHost: 239.192.152.144:6772\r\nPort: 4444\r\nDht-Port: 4444\r\nKind: want\r\nSd-Hash: " + "0f" * 48 + "\r\ncookie: 77\r\n\r\n\r\n",
    "BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: abc\r\n\r\n",
])
write("magnet", [
    "magnet:?xt=urn:btih:" + hexhash,
    "magnet:?xt=urn:btih:" + b32 + "&dn=hello+world.txt&xl=5",
    "magnet:?xt=urn:btih:" + hexhash + "&tr=http%3A%2F%2Ftracker.example%2Fannounce&tr=udp://b.example:6969&x.pe=1.2.3.4:6881&x.pe=[::1]:6881",
    "magnet:?xt=urn:btmh:1220" + "ab" * 32 + "&xt=urn:btih:" + hexhash + "&dht=router.example:6881&so=0",
])

streams = json.load(open(os.path.join(VECTORS, "streams.json")))
sd = [s["sd_blob"].encode() for s in streams] + [s["old_sort_sd_blob"].encode() for s in streams if s.get("old_sort_sd_blob")]
write("stream-descriptor", sd)

sd_hash = streams[0]["sd_hash"]
share = {
    "smartshare": 1, "name": "holiday.mp4", "size": 104857600, "created": "2026-11-21T23:30:00Z",
    "lbry": {"sd_hash": sd_hash, "sd_blob": base64.b64encode(sd[0]).decode()}, "private": False,
    "contacts": [{"dht": "192.168.1.20:4444", "blob": "192.168.1.20:4444"}, {"dht": "[2001:db8::5]:4444", "blob": "[2001:db8::5]:3333"}],
    "bootstrap": ["203.0.113.7:4444"],
    "bittorrent": {"info_hash": hexhash, "peers": ["192.168.1.20:6881"], "dht": ["192.168.1.20:6881"]},
}
minimal = {"smartshare": 1, "name": "a", "size": 0, "created": "2026-01-01T00:00:00Z", "lbry": {"sd_hash": sd_hash}}
write("smartshare-file", [json.dumps(share, indent=2) + "\n", "\ufeff" + json.dumps(minimal), json.dumps(dict(minimal, private=True, contacts=[{"dht": "host.example:1"}]))])
write("smartshare-link", [
    "smartshare:?v=1&sd=" + sd_hash,
    "smartshare:?v=1&sd=" + sd_hash + "&dn=my%20holiday%20%26%20more.mp4&xl=104857600&c=,1.2.3.4%3A4444&b=%5B%3A%3A1%5D%3A4444&p=1&t=1795303800",
    "smartshare:?v=1&sd=" + sd_hash + "&c=1.2.3.4:4444,1.2.3.4:3333&bt=" + hexhash + "&bp=5.6.7.8:6881&bd=node.example:6881",
])

write("byte-range", ["bytes=0-", "bytes=0-499", "bytes=-500", "bytes=500-999", "bytes=9500-", "bytes=0-0,-1", "BYTES= 1-2 ", "bytes=5-3"])

write("http-tracker", [
    be({"interval": 1800, "peers": compact_peer * 3}),
    be({"interval": 1800, "min interval": 60, "complete": 5, "incomplete": 2, "peers": [{"ip": "1.2.3.4", "port": 6881, "peer id": id20}], "peers6": bytes(16) + b"\x1a\xe1"}),
    be({"failure reason": "unregistered torrent"}),
    be({"warning message": "w", "interval": 60, "peers": b""}),
    be({"files": {bytes(20): {"complete": 3, "downloaded": 10, "incomplete": 1}}}),
])

tid = 0x01020304
write("udp-tracker", [
    struct.pack(">IIq", 0, tid, 0x41727101980),
    struct.pack(">IIIII", 1, tid, 1800, 2, 5) + compact_peer * 2,
    struct.pack(">II", 2, tid) + struct.pack(">III", 5, 10, 2),
    struct.pack(">II", 3, tid) + b"unregistered torrent",
])

blobs = json.load(open(os.path.join(VECTORS, "blob-exchange.json")))
blob_hash = blobs["blob_hash"]
write("blob-request", [
    blobs["request"],
    json.dumps({"requested_blobs": [blob_hash]}),
    json.dumps({"blob_data_payment_rate": 0.0}),
    json.dumps({"requested_blob": blob_hash}) + " \n",
])
write("blob-response", [
    blobs["response_have_then_2097152_raw_bytes"] + "\x00\x01\x02\x03",
    blobs["response_missing"],
    json.dumps({"incoming_blob": {"blob_hash": blob_hash, "length": 0}}),
    '{"available_blobs": [',
])


def message(kind, payload=b""):
    return struct.pack(">IB", 1 + len(payload), kind) + payload


write("peer-wire", [
    struct.pack(">I", 0) + message(0) + message(1) + message(2) + message(3),
    message(4, struct.pack(">I", 7)) + message(5, b"\xff\x80"),
    message(6, struct.pack(">III", 1, 0, 16384)) + message(8, struct.pack(">III", 1, 0, 16384)),
    message(7, struct.pack(">II", 1, 0) + b"block data"),
    message(9, struct.pack(">H", 6881)) + message(13, h20[:4]) + message(14) + message(15),
    message(20, b"\x00" + be({"m": {"ut_metadata": 1, "ut_pex": 2}, "v": "SmartShare"})),
    message(99, b"unknown"),
    struct.pack(">I", 5) + b"\x04",
])
write("handshake", [
    b"\x13BitTorrent protocol" + bytes([0, 0, 0, 0, 0, 0x10, 0, 5]) + h20 + b"-SS0010-" + b"abcdefghijkl",
    b"\x13BitTorrent protocol" + bytes(8) + h20 + id20,
    b"\x13BitTorrent protocol" + bytes(8),
])
write("extension-handshake", [
    be({"m": {"ut_metadata": 1, "ut_pex": 2}, "metadata_size": 31235, "p": 6881, "v": "SmartShare 0.1",
        "yourip": bytes([1, 2, 3, 4]), "reqq": 250, "ipv6": bytes(16)}),
    be({"m": {}}),
    be({"m": {"ut_metadata": 0}, "upload_only": 1}),
])
write("ut-metadata", [
    be({"msg_type": 0, "piece": 0}),
    be({"msg_type": 1, "piece": 0, "total_size": 10}) + b"0123456789",
    be({"msg_type": 2, "piece": 1}),
    be({"msg_type": 1, "piece": 1, "total_size": 16384 + 3}) + b"abc",
])
write("ut-pex", [
    be({"added": compact_peer * 2, "added.f": b"\x01\x10", "dropped": compact_peer}),
    be({"added6": bytes(16) + b"\x1a\xe1", "added6.f": b"\x00", "dropped6": b""}),
    be({}),
])

# MSE: byte 0 odd = the harness plays the other side honestly and encrypts the rest; byte 1 = its pad length.
bt_handshake = b"\x13BitTorrent protocol" + bytes(8) + bytes([0x11]) * 20 + b"-SS0001-" + b"a" * 12
write("mse-responder", [
    # VC, crypto_provide RC4, no PadC, IA = a BitTorrent handshake, then payload (seed-00 and -01 complete)
    bytes([1, 0]) + bytes(8) + struct.pack(">IH", 2, 0) + struct.pack(">H", len(bt_handshake)) + bt_handshake + b"\x00\x00\x00\x01\x02",
    bytes([1, 5]) + bytes(8) + struct.pack(">IH", 1, 3) + b"abc" + struct.pack(">H", 0),
    bytes([0, 0]) + hashlib.sha1(b"ya").digest() * 5 + bytes(40),  # not MSE at all
])
write("mse-initiator", [
    bytes([1, 0]) + bytes(8) + struct.pack(">IH", 2, 0) + b"\x00\x00\x00\x01\x01",
    bytes([1, 7]) + bytes(8) + struct.pack(">IH", 1, 4) + b"wxyz",
    bytes([0, 0]) + hashlib.sha1(b"yb").digest() * 6,
])

# UPnP IGD: what Debian's miniupnpd 2.3.1 answered in the namespace lab, plus a fault and a hostile DTD.
soap_env = ('<?xml version="1.0"?>\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>%s</s:Body></s:Envelope>')
write("upnp-ssdp", [
    "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:service:WANIPConnection:2\r\n"
    "USN: uuid:3d4c1b2a-0000-4000-8000-000000000003::urn:schemas-upnp-org:service:WANIPConnection:2\r\nEXT:\r\n"
    "SERVER: Debian/6.18.44-fc-v1272 UPnP/1.1 MiniUPnPd/2.3.1\r\nLOCATION: http://10.77.1.1:33123/rootDesc.xml\r\n"
    "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n01-NLS: 1796462970\r\nBOOTID.UPNP.ORG: 1796462970\r\n\r\n",
    "HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: http://10.9.9.9/d.xml\r\n\r\n",
    "HTTP/1.1 404 Not Found\r\n\r\n",
])
write("upnp-description", [
    '<?xml version="1.0"?>\n<root xmlns="urn:schemas-upnp-org:device-1-0"><device><deviceType>urn:schemas-upnp-org:device:'
    'InternetGatewayDevice:2</deviceType><serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1'
    '</serviceType><controlURL>/ctl/L3F</controlURL></service></serviceList><deviceList><device><deviceType>urn:schemas-upnp-org:'
    'device:WANDevice:2</deviceType><deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType>'
    '<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType><serviceId>urn:upnp-org:'
    'serviceId:WANIPConn1</serviceId><SCPDURL>/WANIPCn.xml</SCPDURL><controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn'
    '</eventSubURL></service></serviceList></device></deviceList></device></deviceList></device></root>',
    '<root><URLBase>http://10.77.1.1:5000/</URLBase><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:'
    'WANPPPConnection:1</serviceType><controlURL>ctl/ppp</controlURL></service></serviceList></device></root>',
    '<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><root>&b;</root>',
])
write("upnp-soap", [
    soap_env % '<u:GetExternalIPAddressResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2"><NewExternalIPAddress>'
               '11.77.0.1</NewExternalIPAddress></u:GetExternalIPAddressResponse>',
    soap_env % '<u:AddPortMappingResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2"/>',
    soap_env % '<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:'
               'schemas-upnp-org:control-1-0"><errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription>'
               '</UPnPError></detail></s:Fault>',
])

# Bodies transmission-remote, Flood and the Transmission web client send (RPC version 16/17 names).
hash40 = h20.hex()
write("transmission-rpc", [json.dumps(call, separators=(",", ":")) for call in [
    {"method": "session-get", "tag": 1},
    {"method": "torrent-get", "arguments": {"fields": ["id", "name", "status", "percentDone", "files", "fileStats", "peers"], "ids": [1, hash40]}, "tag": 7},
    {"method": "torrent-get", "arguments": {"fields": ["id", "error"], "ids": "recently-active"}},
    {"method": "torrent-add", "arguments": {"filename": "magnet:?xt=urn:btih:" + hash40, "paused": True, "download-dir": "/tmp/x",
                                            "files-unwanted": [0, 2], "priority-high": [1], "sequentialDownload": 1}},
    {"method": "torrent-set", "arguments": {"ids": 3, "downloadLimit": 100, "downloadLimited": True, "uploadLimited": False,
                                            "files-wanted": [], "honorsSessionLimits": True}},
    {"method": "session-set", "arguments": {"speed-limit-down": 500, "speed-limit-down-enabled": True, "alt-speed-time-begin": 540,
                                            "alt-speed-time-end": 1020, "alt-speed-time-day": 62, "alt-speed-enabled": False}},
    {"method": "torrent-remove", "arguments": {"ids": [1, 2], "delete-local-data": False}, "tag": 2.5},
    {"method": "queue-move-top", "arguments": {"ids": [hash40]}},
]] + ['{"method":"torrent-start","arguments":{"ids":1},"method":"x"}', '{"method":5}', "[1,2]", '{"arguments":[]}'])

# JSON-RPC requests as the CLI and the web UI send them (lbrynet's envelope).
sd96 = hashlib.sha384(b"sd").hexdigest()
write("json-rpc", [json.dumps(call, separators=(",", ":")) for call in [
    {"method": "status", "params": {}, "id": 1, "jsonrpc": "2.0"},
    {"method": "get", "params": {"uri": "smartshare:?sd=" + sd96, "download_directory": "/tmp/d", "timeout": 30, "save_file": True}},
    {"method": "get", "params": {"content_base64": base64.b64encode(be(single)).decode(), "content_name": "a.torrent", "files": "0,2-5",
                                  "sequential": True, "first_last_piece": False}},
    {"method": "blob_list", "params": {"blob_hash": sd96, "page": 1, "page_size": 50}},
    {"method": "settings_set", "params": {"key": "alt_speed_schedule", "value": "1-5 09:00-17:00"}},
    {"method": "queue_move", "params": {"key": "bt:" + hash40, "to": "top"}},
    {"method": "file_set_files", "params": {"key": "bt:" + hash40, "wanted": [0, 1], "unwanted": "2-4"}},
    {"method": "peer_add", "params": {"key": "bt:" + hash40, "peers": "10.70.0.1:6881,[fd00::1]:51413"}},
]] + ['{"method":"status","params":[1]}', '{"id":"x","params":{}}', '{"method":"status","params":{"a":1,"a":2}}'])

# uTP (BEP 29): the SYN libtorrent 2.0.8 sent on loopback, a STATE with a selective ACK, a DATA packet carrying a
# BitTorrent handshake's start, a SYN with libutp's old 8-byte extension bits chained to a selective ACK, FIN, RESET.
def utp(kind, conn, seq, ack, sack=b"", payload=b"", ext=b""):
    first_ext = 2 if ext else (1 if sack else 0)
    out = bytes([(kind << 4) | 1, first_ext]) + struct.pack(">HIIIHH", conn, 0x5AE943C2, 1500, 1 << 20, seq, ack)
    if ext:
        out += bytes([1 if sack else 0, len(ext)]) + ext
    if sack:
        out += bytes([0, len(sack)]) + sack
    return out + payload
write("utp", [
    bytes.fromhex("4100fdbc5ae943c2000000000000000010bb0000"),
    utp(2, 0xfdbd, 0x2000, 0x10bb),
    utp(2, 0xfdbd, 0x2000, 0x10c0, sack=bytes([0b101, 0, 0, 0x80])),
    utp(0, 0xfdbd, 0x10bc, 0x2000, payload=b"\x13BitTorrent protocol" + bytes(8)),
    utp(4, 0x1234, 1, 0, sack=bytes(4), ext=bytes(8)),
    utp(1, 0xfdbd, 0x10c1, 0x2001),
    utp(3, 0xfdbd, 0x10c2, 0x2001),
])
