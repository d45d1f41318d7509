using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.Lbry.Dht;

namespace SmartShare.Node.Hosting;

/// <summary>
/// Joins the LBRY DHT through saved contacts and the bootstrap nodes, trying again every 30 s until some node
/// answers; meanwhile the node already answers requests, so others can join through it.
/// </summary>
public sealed partial class DhtMembership(LbryDhtService dht, TimeProvider time, ILogger<DhtMembership> logger) : BackgroundService
{
    private static readonly TimeSpan RejoinInterval = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsJoined => _joined.Task.IsCompleted;

    /// <summary>Completes once the routing table has contacts.</summary>
    public Task WaitForJoinAsync(CancellationToken cancellationToken) => _joined.Task.WaitAsync(cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var attempts = 0;
        while (!await dht.JoinAsync(stoppingToken))
        {
            if (attempts++ == 0)
            {
                LogNotYetJoined(logger);
            }

            await Task.Delay(RejoinInterval, time, stoppingToken);
        }

        LogJoined(logger, dht.Engine.RoutingTable.Count);
        _joined.TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No DHT node answered yet (saved contacts and bootstrap); answering requests and trying again every 30 s.")]
    private static partial void LogNotYetJoined(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Joined the DHT: {Contacts} contacts.")]
    private static partial void LogJoined(ILogger logger, int contacts);
}
