using SmartShare.Networking;

namespace SmartShare.Node.Limits;

/// <summary>A transfer's download and upload limiters, each chained under the node's.</summary>
public sealed record TransferLimiters(ByteRateLimiter Download, ByteRateLimiter Upload);
