using System.Diagnostics.CodeAnalysis;

namespace SmartShare.Bencode;

/// <summary>The kind of token a <see cref="BencodeReader"/> is positioned on.</summary>
public enum BencodeTokenType
{
    /// <summary>No token has been read yet.</summary>
    None,

    /// <summary>An integer, <c>i42e</c>.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Bencode's own name for the type.")]
    Integer,

    /// <summary>A byte string, <c>4:spam</c>.</summary>
    ByteString,

    /// <summary>The <c>l</c> that opens a list.</summary>
    ListStart,

    /// <summary>The <c>d</c> that opens a dictionary.</summary>
    DictionaryStart,

    /// <summary>The <c>e</c> that closes the innermost list or dictionary.</summary>
    End,
}
