namespace SmartShare.Bencode;

/// <summary>What the reader remembers about one open list or dictionary.</summary>
internal struct ContainerFrame
{
    public bool IsDictionary;
    public bool ExpectsKey;
    public bool HasPreviousKey;
    public bool PreviousKeyIsInteger;

    // Lbry mode tolerates keys out of order; such a dictionary gets a full duplicate check when it closes.
    public bool KeysOutOfOrder;
    public long PreviousKeyInteger;
    public int PreviousKeyStart;
    public int PreviousKeyLength;

    // Offset just after the opening 'd', where the duplicate check starts scanning.
    public int ContentStart;
}
