using System.Buffers;

namespace SmartShare.Bencode;

/// <summary>
/// Encodes a <see cref="BencodeValue"/> canonically: dictionary keys sorted (Strict: raw byte order; Lbry: integer
/// keys numerically, then byte-string keys in byte order), integers and lengths without leading zeros.
/// </summary>
public static class BencodeEncoder
{
    /// <exception cref="ArgumentException">
    /// The value cannot be encoded in this mode: an integer key in Strict mode, two entries with the same key,
    /// or nesting deeper than <see cref="BencodeLimits.DepthCeiling"/>.
    /// </exception>
    public static void Encode(BencodeValue value, IBufferWriter<byte> output, BencodeMode mode)
    {
        ArgumentNullException.ThrowIfNull(value);
        var writer = new BencodeWriter(output, mode);
        WriteValue(ref writer, value, mode);
    }

    /// <summary>Encodes into a new array.</summary>
    public static byte[] Encode(BencodeValue value, BencodeMode mode)
    {
        var output = new ArrayBufferWriter<byte>();
        Encode(value, output, mode);
        return output.WrittenSpan.ToArray();
    }

    private static void WriteValue(ref BencodeWriter writer, BencodeValue value, BencodeMode mode)
    {
        switch (value)
        {
            case BencodeInteger integer:
                writer.WriteInteger(integer.Value);
                break;
            case BencodeByteString bytes:
                writer.WriteBytes(bytes.Value.Span);
                break;
            case BencodeList list:
                ThrowIfTooDeep(writer, value);
                writer.StartList();
                foreach (var item in list.Items)
                {
                    WriteValue(ref writer, item, mode);
                }

                writer.End();
                break;
            case BencodeDictionary dictionary:
                ThrowIfTooDeep(writer, value);
                writer.StartDictionary();
                foreach (var entry in SortedEntries(dictionary, mode))
                {
                    if (entry.Key.IsInteger)
                    {
                        writer.WriteIntegerKey(entry.Key.IntegerValue);
                    }
                    else
                    {
                        writer.WriteBytes(entry.Key.Bytes.Span);
                    }

                    WriteValue(ref writer, entry.Value, mode);
                }

                writer.End();
                break;
            default:
                throw new ArgumentException($"Unknown bencode value type {value.GetType().Name}.", nameof(value));
        }
    }

    private static void ThrowIfTooDeep(in BencodeWriter writer, BencodeValue value)
    {
        // What the decoder would refuse, the encoder does not write; this also bounds the recursion.
        if (writer.Depth >= BencodeLimits.DepthCeiling)
        {
            throw new ArgumentException($"A {value.GetType().Name} nests deeper than {BencodeLimits.DepthCeiling} levels.", nameof(value));
        }
    }

    private static ReadOnlySpan<BencodeEntry> SortedEntries(BencodeDictionary dictionary, BencodeMode mode)
    {
        var entries = dictionary.Entries.AsSpan();
        if (mode == BencodeMode.Strict)
        {
            foreach (var entry in entries)
            {
                if (entry.Key.IsInteger)
                {
                    throw new ArgumentException($"Integer dictionary key {entry.Key} cannot be written in Strict mode.", nameof(dictionary));
                }
            }
        }

        // Decoded and hand-built dictionaries are usually already sorted; only copy when they are not.
        var sorted = true;
        for (var i = 1; i < entries.Length && sorted; i++)
        {
            sorted = CompareKeys(entries[i - 1].Key, entries[i].Key, mode) < 0;
        }

        if (sorted)
        {
            return entries;
        }

        var copy = entries.ToArray();
        Array.Sort(copy, (left, right) => CompareKeys(left.Key, right.Key, mode));
        for (var i = 1; i < copy.Length; i++)
        {
            if (CompareKeys(copy[i - 1].Key, copy[i].Key, mode) == 0)
            {
                throw new ArgumentException($"The dictionary has key {copy[i].Key} twice.", nameof(dictionary));
            }
        }

        return copy;
    }

    private static int CompareKeys(BencodeKey left, BencodeKey right, BencodeMode mode)
    {
        var leftIsInteger = ReadKey(left, mode, out var leftInteger, out var leftBytes);
        var rightIsInteger = ReadKey(right, mode, out var rightInteger, out var rightBytes);
        return BencodeKeyOrder.Compare(leftIsInteger, leftInteger, leftBytes, rightIsInteger, rightInteger, rightBytes);
    }

    /// <summary>Returns whether the key sorts as an integer, with that integer or the key's bytes.</summary>
    private static bool ReadKey(BencodeKey key, BencodeMode mode, out long integer, out ReadOnlySpan<byte> bytes)
    {
        if (key.IsInteger)
        {
            integer = key.IntegerValue;
            bytes = default;
            return true;
        }

        bytes = key.Bytes.Span;
        return BencodeKeyOrder.TryReadAsInteger(mode, bytes, out integer);
    }
}
