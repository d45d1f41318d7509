namespace SmartShare.Storage;

/// <summary>The database or a stored file cannot be used; the message says what to do.</summary>
public class StorageException : Exception
{
    public StorageException(string message)
        : base(message)
    {
    }

    public StorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
