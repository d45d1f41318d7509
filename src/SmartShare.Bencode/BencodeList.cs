using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace SmartShare.Bencode;

/// <summary>A bencoded list, <c>l...e</c>.</summary>
public sealed class BencodeList : BencodeValue
{
    public BencodeList(IEnumerable<BencodeValue> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var copy = items.ToArray();
        if (Array.IndexOf(copy, null) >= 0)
        {
            throw new ArgumentException("A bencode list cannot hold null.", nameof(items));
        }

        Items = ImmutableCollectionsMarshal.AsImmutableArray(copy);
    }

    private BencodeList(ImmutableArray<BencodeValue> items)
    {
        Items = items;
    }

    public ImmutableArray<BencodeValue> Items { get; }

    public int Count => Items.Length;

    public BencodeValue this[int index] => Items[index];

    // The decoder hands over a fresh array it never touches again, so no defensive copy is needed.
    internal static BencodeList FromOwnedArray(BencodeValue[] items) => new(ImmutableCollectionsMarshal.AsImmutableArray(items));
}
