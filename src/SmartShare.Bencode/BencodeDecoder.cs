namespace SmartShare.Bencode;

/// <summary>Decodes one bencoded value into the immutable <see cref="BencodeValue"/> model.</summary>
public static class BencodeDecoder
{
    /// <summary>
    /// Decodes <paramref name="input"/>, which must hold exactly one value. Byte strings and byte-string keys are
    /// slices of <paramref name="input"/>, so it must not change while the result is in use.
    /// </summary>
    /// <exception cref="BencodeFormatException">The input is malformed, breaks the mode's rules or exceeds the limits.</exception>
    public static BencodeValue Decode(ReadOnlyMemory<byte> input, BencodeMode mode, BencodeLimits? limits = null)
    {
        var reader = new BencodeReader(input.Span, mode, limits);
        reader.Read();
        var value = ReadValue(ref reader, input);

        // Read again only to reject trailing bytes.
        reader.Read();
        return value;
    }

    // Recursion is bounded by the reader's depth limit.
    private static BencodeValue ReadValue(ref BencodeReader reader, ReadOnlyMemory<byte> input)
    {
        switch (reader.TokenType)
        {
            case BencodeTokenType.Integer:
                return new BencodeInteger(reader.GetInteger());
            case BencodeTokenType.ByteString:
                return new BencodeByteString(input.Slice(reader.ValueStart, reader.GetBytes().Length));
            case BencodeTokenType.ListStart:
                var items = new List<BencodeValue>();
                while (reader.Read() && reader.TokenType != BencodeTokenType.End)
                {
                    items.Add(ReadValue(ref reader, input));
                }

                return BencodeList.FromOwnedArray(items.ToArray());
            default:
                var entries = new List<BencodeEntry>();
                while (reader.Read() && reader.TokenType != BencodeTokenType.End)
                {
                    var key = reader.TokenType == BencodeTokenType.Integer
                        ? BencodeKey.FromInteger(reader.GetInteger())
                        : BencodeKey.FromBytes(input.Slice(reader.ValueStart, reader.GetBytes().Length));
                    reader.Read();
                    entries.Add(new BencodeEntry(key, ReadValue(ref reader, input)));
                }

                return BencodeDictionary.FromOwnedArray(entries.ToArray());
        }
    }
}
