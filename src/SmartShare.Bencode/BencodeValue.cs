namespace SmartShare.Bencode;

/// <summary>
/// An immutable bencoded value: <see cref="BencodeInteger"/>, <see cref="BencodeByteString"/>,
/// <see cref="BencodeList"/> or <see cref="BencodeDictionary"/>. Decoded byte strings are slices of the input.
/// </summary>
public abstract class BencodeValue
{
    private protected BencodeValue()
    {
    }
}
