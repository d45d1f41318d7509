namespace SmartShare.Lbry.BlobExchange;

/// <summary>Why a blob request failed, which decides how the downloader treats the peer.</summary>
public enum BlobExchangeFailure
{
    /// <summary>The peer answered well-formed that it does not have the blob; the connection stays usable.</summary>
    NotAvailable,

    /// <summary>TCP connect failed or was refused or timed out.</summary>
    ConnectFailed,

    /// <summary>No response, or not the whole blob, within the time limits.</summary>
    TimedOut,

    /// <summary>The peer closed the connection before the response or the blob was complete.</summary>
    ConnectionClosed,

    /// <summary>The response broke the protocol: not JSON, unexpected keys, wrong hash or length, too large.</summary>
    ProtocolViolation,

    /// <summary>The blob's bytes did not hash to the requested hash, or more bytes came than announced.</summary>
    CorruptBlob,
}
