namespace SmartShare.Node.Shares;

/// <summary>
/// The one exception the .smartshare codec throws: the file or link is malformed, breaks a rule of the format
/// or exceeds a limit. The message is a sentence naming the field and the value that was wrong.
/// </summary>
public sealed class SmartShareFormatException : FormatException
{
    public SmartShareFormatException()
        : base("The .smartshare file or link is malformed.")
    {
    }

    public SmartShareFormatException(string message)
        : base(message)
    {
    }

    public SmartShareFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
