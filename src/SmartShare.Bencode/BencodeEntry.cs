namespace SmartShare.Bencode;

/// <summary>One key and its value in a <see cref="BencodeDictionary"/>.</summary>
public readonly record struct BencodeEntry(BencodeKey Key, BencodeValue Value);
