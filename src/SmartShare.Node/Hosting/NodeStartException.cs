namespace SmartShare.Node.Hosting;

/// <summary>The node could not start (a port is taken, an address cannot be resolved); the message says what to do.</summary>
public sealed class NodeStartException : Exception
{
    public NodeStartException()
    {
    }

    public NodeStartException(string message)
        : base(message)
    {
    }

    public NodeStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
