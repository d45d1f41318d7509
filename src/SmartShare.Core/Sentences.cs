namespace SmartShare;

/// <summary>Helpers for the sentences errors are told in.</summary>
public static class Sentences
{
    /// <summary>
    /// <paramref name="text"/> (a name, header or argument from outside) cut to at most <paramref name="max"/>
    /// characters with "..." at the end, so a huge input cannot make a huge message.
    /// </summary>
    public static string Shorten(string text, int max = 80)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 4);
        return text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 3), "...");
    }
}
