using System.Net;

namespace SmartShare.Lbry.Downloads;

/// <summary>One blob-exchange peer of a running stream download.</summary>
/// <param name="EndPoint">Its blob-exchange address.</param>
/// <param name="Connections">Connections open to it now (0: known, not connected).</param>
/// <param name="Failures">Failures counted against it (it is dropped after five).</param>
public sealed record StreamPeerInfo(IPEndPoint EndPoint, int Connections, int Failures);
