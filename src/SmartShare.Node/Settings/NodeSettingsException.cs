namespace SmartShare.Node.Settings;

/// <summary>A setting has a value that cannot be used; the message names where it came from and the key.</summary>
public sealed class NodeSettingsException : Exception
{
    public NodeSettingsException()
    {
    }

    public NodeSettingsException(string message)
        : base(message)
    {
    }

    public NodeSettingsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
