using System.Text.Json.Nodes;
using SmartShare.Node.Streaming;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Tests.Transfers.Queueing;

/// <summary>
/// A torrent network in memory for the queue's logic: transfers whose state the test sets; stopping stops, starting
/// runs (downloading, or seeding when once complete), and every start and stop is recorded, and so is each time a
/// transfer's view is built (<see cref="ViewsBuilt"/>), which its statuses (<see cref="AddStatuses"/>) do not need.
/// </summary>
internal sealed class FakeTransferNetwork(TimeProvider time) : ITransferNetwork
{
    private readonly Dictionary<TransferKey, Transfer> _transfers = [];
    private readonly Lock _lock = new();

    public TransferNetwork Network => TransferNetwork.Torrent;

    public List<string> Calls { get; } = [];

    /// <summary>Views handed out by <see cref="List"/> and <see cref="Find"/>.</summary>
    public int ViewsBuilt { get; private set; }

    public static TransferKey KeyOf(int n) => new(TransferNetwork.Torrent, n.ToString("x40", System.Globalization.CultureInfo.InvariantCulture));

    public TransferKey Add(int n, TransferState state, bool complete = false, TransferDirection direction = TransferDirection.Download, long size = 1000)
    {
        var key = KeyOf(n);
        lock (_lock)
        {
            _transfers[key] = new Transfer(
                key, $"t{n}", direction, state, new TransferProgress(complete ? size : 0, size, 0, 0, 0, 0, 0, 0), [], "/tmp", null, null, false,
                time.GetUtcNow().AddSeconds(n), complete ? time.GetUtcNow() : null);
        }

        return key;
    }

    public void Set(TransferKey key, Func<Transfer, Transfer> change)
    {
        lock (_lock)
        {
            _transfers[key] = change(_transfers[key]);
        }
    }

    public void Complete(TransferKey key) =>
        Set(key, t => t with { State = TransferState.Seeding, CompletedAt = time.GetUtcNow(), Progress = t.Progress with { BytesHave = t.Progress.BytesTotal ?? 0 } });

    public void Upload(TransferKey key, long bytes) => Set(key, t => t with { Progress = t.Progress with { Uploaded = t.Progress.Uploaded + bytes } });

    public IReadOnlyList<Transfer> List()
    {
        lock (_lock)
        {
            ViewsBuilt += _transfers.Count;
            return [.. _transfers.Values];
        }
    }

    public void AddListings(List<TransferListing> listings)
    {
        lock (_lock)
        {
            foreach (var transfer in _transfers.Values)
            {
                listings.Add(new TransferListing(transfer.Key, transfer.AddedAt));
            }
        }
    }

    public void AddStatuses(List<TransferStatus> statuses)
    {
        lock (_lock)
        {
            statuses.AddRange(_transfers.Values.Select(TransferStatus.Of));
        }
    }

    public Transfer? Find(TransferKey key)
    {
        lock (_lock)
        {
            ViewsBuilt++;
            return _transfers.GetValueOrDefault(key);
        }
    }

    public Task<TransferAddResult> AddAsync(TransferRequest request, CancellationToken cancellationToken)
    {
        // "N", or a file holding "N": a new download numbered N, started at once as the torrent manager does.
        var text = request.Target.Contains('/', StringComparison.Ordinal) ? File.ReadAllText(request.Target).Trim() : request.Target;
        lock (_lock)
        {
            Calls.Add($"add {text}");
        }

        return int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? Task.FromResult(TransferAddResult.Of(Add(n, TransferState.Downloading), created: true))
            : throw new FormatException($"'{Sentences.Shorten(text, 20)}' is not a torrent.");
    }

    public Task<bool> StopAsync(TransferKey key, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Calls.Add($"stop {_transfers[key].Name}");
            Set(key, t => t with { State = TransferState.Stopped });
        }

        return Task.FromResult(true);
    }

    public bool Start(TransferKey key)
    {
        lock (_lock)
        {
            Calls.Add($"start {_transfers[key].Name}");
            Set(key, t => t with { State = t.CompletedAt is null ? TransferState.Downloading : TransferState.Seeding });
        }

        return true;
    }

    public Task<bool> RemoveAsync(TransferKey key, bool deleteData, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Calls.Add($"remove {_transfers[key].Name} {(deleteData ? "with data" : "keeping data")}");
            return Task.FromResult(_transfers.Remove(key));
        }
    }

    public JsonObject Describe(Transfer transfer, StreamLinks? links) => [];

    public Task<StreamSource> OpenStreamAsync(TransferKey key, int? fileIndex, bool mayStart, CancellationToken cancellationToken) => throw new NotSupportedException();

    public TransferPeers? Peers(TransferKey key) => null;
}
