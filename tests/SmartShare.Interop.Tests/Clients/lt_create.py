"""Makes a .torrent with libtorrent 2.0's own creator: hybrid v1/v2 (its default, with pad files between files),
v1 only or v2 only. Arguments: one JSON object {"content", "output", "piece_length", "kind": "hybrid"|"v1"|"v2"}.
Prints one JSON line {"event": "created", "v1": HEX or null, "v2": HEX or null}."""
import json
import os
import sys

import libtorrent as lt

from lt_common import emit


def main():
    args = json.loads(sys.argv[1])
    content = os.path.abspath(args["content"])
    flags = {"hybrid": 0, "v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only}[args["kind"]]
    files = lt.file_storage()
    lt.add_files(files, content)
    creator = lt.create_torrent(files, int(args["piece_length"]), flags=flags)
    lt.set_piece_hashes(creator, os.path.dirname(content))
    data = lt.bencode(creator.generate())
    with open(args["output"], "wb") as output:
        output.write(data)
    info = lt.torrent_info(args["output"])
    hashes = info.info_hashes()
    emit({"event": "created",
          "v1": str(hashes.v1) if hashes.has_v1() else None,
          "v2": str(hashes.v2) if hashes.has_v2() else None})


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # one JSON line the fixture can show
        emit({"event": "error", "message": "%s: %s" % (type(error).__name__, error)})
        sys.exit(2)
