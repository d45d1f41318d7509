namespace SmartShare.Bencode;

/// <summary>The two bencode dialects SmartShare speaks.</summary>
public enum BencodeMode
{
    /// <summary>
    /// BitTorrent bencode: dictionary keys are byte strings in strictly increasing raw byte order,
    /// and integers and lengths are canonical.
    /// </summary>
    Strict,

    /// <summary>
    /// lbry-sdk bencode: dictionary keys may be integers (written <c>i0e</c>) or byte strings. Decoding accepts
    /// keys in any order but rejects duplicates; an integer key and the byte string of its decimal text are
    /// the same key, because lbry-sdk turns every decoded key into its decimal text.
    /// </summary>
    Lbry,
}
