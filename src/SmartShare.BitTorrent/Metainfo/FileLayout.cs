namespace SmartShare.BitTorrent.Metainfo;

/// <summary>
/// The tree of paths a multi-file torrent has listed so far, to refuse a path listed twice or one that is both a file
/// and a folder: either would make two files of the torrent share, or fight over, one place on disk.
/// </summary>
internal sealed class FileLayout
{
    // A tree rather than a set of joined prefixes keeps each check linear in the path's length.
    private readonly Node _root = new();

    /// <summary>Records <paramref name="path"/> and returns null, or says how it clashes with an earlier path.</summary>
    public string? Add(IReadOnlyList<string> path)
    {
        var node = _root;
        for (var depth = 0; depth < path.Count - 1; depth++)
        {
            node = node.Child(path[depth]);
            if (node.IsFile)
            {
                return $"\"{string.Join('/', path)}\" is inside \"{string.Join('/', path.Take(depth + 1))}\", which is a file";
            }
        }

        var leaf = node.Child(path[^1]);
        if (leaf.IsFile)
        {
            return $"\"{string.Join('/', path)}\" is listed twice";
        }

        if (leaf.HasChildren)
        {
            return $"\"{string.Join('/', path)}\" is also a folder of another file";
        }

        leaf.IsFile = true;
        return null;
    }

    private sealed class Node
    {
        private Dictionary<string, Node>? _children;

        public bool IsFile { get; set; }

        public bool HasChildren => _children is { Count: > 0 };

        public Node Child(string name)
        {
            _children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
            if (!_children.TryGetValue(name, out var child))
            {
                child = new Node();
                _children.Add(name, child);
            }

            return child;
        }
    }
}
