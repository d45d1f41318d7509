using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;

namespace SmartShare.Bencode;

/// <summary>
/// A bencoded dictionary, <c>d...e</c>, with its entries in the order they were decoded or given.
/// The encoder sorts them canonically, so callers may build entries in any order.
/// Lookups treat an integer key and the byte string of its decimal text as the same key, as lbry-sdk does.
/// </summary>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "Bencode's own name for the type.")]
public sealed class BencodeDictionary : BencodeValue
{
    public BencodeDictionary(IEnumerable<BencodeEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var copy = entries.ToArray();
        foreach (var entry in copy)
        {
            if (entry.Value is null)
            {
                throw new ArgumentException($"The value of key {entry.Key} is null.", nameof(entries));
            }
        }

        Entries = ImmutableCollectionsMarshal.AsImmutableArray(copy);
    }

    private BencodeDictionary(ImmutableArray<BencodeEntry> entries)
    {
        Entries = entries;
    }

    public ImmutableArray<BencodeEntry> Entries { get; }

    public int Count => Entries.Length;

    // The decoder hands over a fresh array it never touches again, so no defensive copy is needed.
    internal static BencodeDictionary FromOwnedArray(BencodeEntry[] entries) => new(ImmutableCollectionsMarshal.AsImmutableArray(entries));

    /// <summary>Finds the value of integer key <paramref name="key"/>, also written as its decimal text.</summary>
    public bool TryGetValue(long key, [NotNullWhen(true)] out BencodeValue? value)
    {
        // Dictionaries on the wire are small, so a scan beats building an index.
        foreach (var entry in Entries)
        {
            if (entry.Key.Names(key))
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>Finds the value of byte-string key <paramref name="key"/>.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> key, [NotNullWhen(true)] out BencodeValue? value)
    {
        foreach (var entry in Entries)
        {
            if (entry.Key.Names(key))
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>Finds the value of the byte-string key spelled by ASCII <paramref name="key"/>.</summary>
    public bool TryGetValue(string key, [NotNullWhen(true)] out BencodeValue? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        return TryGetValue(Encoding.ASCII.GetBytes(key), out value);
    }
}
