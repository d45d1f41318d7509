using System.Buffers;
using System.Text.Json;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Web;

/// <summary>
/// The transfer list as the web UI's live feed sees it: every transfer's row (<see cref="TransferView.Row"/>) as JSON
/// text, taken at most once per <see cref="Interval"/> however many browsers watch, and the event that brings a
/// browser from the snapshot it last received to the current one (the rows that changed or appeared, the keys gone).
/// </summary>
internal sealed class TransferFeed(TransferManager transfers, TimeProvider time)
{
    /// <summary>How often a watcher is brought up to date.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Snapshot? _latest;

    /// <summary>The list now, or the snapshot taken less than half an interval ago (shared by every watcher).</summary>
    public Snapshot Current()
    {
        lock (_gate)
        {
            if (_latest is { } latest && time.GetElapsedTime(latest.TakenAt) < Interval / 2)
            {
                return latest;
            }
        }

        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        double down = 0, up = 0;
        foreach (var transfer in transfers.List())
        {
            var key = transfer.Key.Hash;
            if (rows.TryAdd(key, TransferView.Row(transfer).ToJsonString()))
            {
                order.Add(key);
                down += transfer.Progress.DownloadRate;
                up += transfer.Progress.UploadRate;
            }
        }

        var snapshot = new Snapshot(time.GetTimestamp(), rows, order, Math.Round(down), Math.Round(up));
        lock (_gate)
        {
            _latest = snapshot;
        }

        return snapshot;
    }

    /// <summary>
    /// The <c>transfers</c> event's data taking a watcher from <paramref name="previous"/> (null: nothing yet, so every
    /// row) to <paramref name="current"/>, or null when nothing changed.
    /// </summary>
    public static byte[]? Event(Snapshot? previous, Snapshot current, long revision)
    {
        ArgumentNullException.ThrowIfNull(current);
        var changed = current.Order.Where(key => previous is null || !previous.Rows.TryGetValue(key, out var before) || before != current.Rows[key]).ToList();
        var removed = previous is null ? [] : previous.Order.Where(key => !current.Rows.ContainsKey(key)).ToList();
        if (previous is not null && changed.Count == 0 && removed.Count == 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(256 + (changed.Count * 400));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("revision", revision);
            writer.WriteBoolean("full", previous is null);
            writer.WriteStartArray("rows");
            foreach (var key in changed)
            {
                writer.WriteRawValue(current.Rows[key], skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("removed");
            foreach (var key in removed)
            {
                writer.WriteStringValue(key);
            }

            writer.WriteEndArray();
            writer.WriteStartObject("totals");
            writer.WriteNumber("download_rate", current.DownloadRate);
            writer.WriteNumber("upload_rate", current.UploadRate);
            writer.WriteNumber("count", current.Order.Count);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The list at one moment: each transfer's row as JSON text by key, in list order, and the summed rates.</summary>
    internal sealed record Snapshot(long TakenAt, IReadOnlyDictionary<string, string> Rows, IReadOnlyList<string> Order, double DownloadRate, double UploadRate);
}
