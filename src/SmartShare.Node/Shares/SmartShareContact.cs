namespace SmartShare.Node.Shares;

/// <summary>
/// Where the creator of a share can be reached: its LBRY DHT endpoint (UDP) and its blob-exchange endpoint (TCP).
/// At least one of them is set; the codec refuses a contact with neither.
/// </summary>
public sealed record SmartShareContact(SmartShareEndpoint? Dht, SmartShareEndpoint? Blob);
