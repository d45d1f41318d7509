using System.Buffers;
using System.Text.Json;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Web;

/// <summary>
/// The transfer list as the web UI's live feed sees it, kept between readings: every transfer's row
/// (<see cref="TransferRow"/>, read without building views) with its JSON, written again only when the row changed,
/// and the generation at which it last changed; readings come at most once per half <see cref="Interval"/> however
/// many browsers watch. A watcher holds the generation it was last brought to, and its next event carries only the
/// rows changed since and the keys removed since. Reading every transfer's view and writing every row's JSON each
/// second made 5 MB/s of garbage on a node of 6,000 transfers where nothing changed. Thread-safe.
/// </summary>
internal sealed class TransferFeed
{
    /// <summary>How often a watcher is brought up to date.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>What a watcher that has been sent nothing yet holds: its first event lists every row.</summary>
    public const long NothingSent = -1;

    // Removed keys kept for watchers behind; past this many the older half goes, and a watcher that had not seen
    // those gets a full event instead.
    private const int MaxRemovals = 4096;

    private readonly Action<List<TransferRow>> _read;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<TransferRow> _reading = [];                  // the last reading, kept for the next
    private readonly Dictionary<TransferKey, Entry> _entries = [];      // every listed transfer's row and JSON
    private readonly List<Entry> _order = [];                           // the entries in list order
    private readonly List<(TransferKey Key, long Generation)> _removals = [];
    private readonly ArrayBufferWriter<byte> _rowBuffer = new(1024);
    private long _generation;      // bumped by each reading that changed something
    private long _horizon;         // removals up to this generation were dropped
    private long _readings;
    private long _takenAt;
    private bool _taken;
    private double _downloadRate;
    private double _uploadRate;

    public TransferFeed(TransferManager transfers, TimeProvider time)
        : this((transfers ?? throw new ArgumentNullException(nameof(transfers))).ReadRows, time)
    {
    }

    /// <summary>For tests: the rows come from <paramref name="read"/> (which fills the list it is given).</summary>
    internal TransferFeed(Action<List<TransferRow>> read, TimeProvider time)
    {
        _read = read;
        _time = time;
    }

    /// <summary>How many rows had their JSON written: once each, then again only when they changed (tests' witness).</summary>
    internal long RowsWritten { get; private set; }

    /// <summary>
    /// The <c>transfers</c> event's data taking a watcher from generation <paramref name="sent"/> (<see cref="NothingSent"/>:
    /// nothing yet, so every row) to now, with <paramref name="revision"/>; null when nothing changed since. Returns the
    /// generation the watcher is at once sent it.
    /// </summary>
    public (byte[]? Data, long Sent) Next(long sent, long revision)
    {
        lock (_gate)
        {
            Read();
            var full = sent < 0 || sent < _horizon;
            if (!full && sent >= _generation)
            {
                return (null, sent);
            }

            var buffer = new ArrayBufferWriter<byte>(full ? 256 + (_order.Count * 600) : 4096);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteNumber("revision", revision);
                writer.WriteBoolean("full", full);
                writer.WriteStartArray("rows");
                foreach (var entry in _order)
                {
                    if (full || entry.Changed > sent)
                    {
                        writer.WriteRawValue(entry.Json, skipInputValidation: true);
                    }
                }

                writer.WriteEndArray();
                writer.WriteStartArray("removed");
                if (!full)
                {
                    WriteRemoved(writer, sent);
                }

                writer.WriteEndArray();
                writer.WriteStartObject("totals");
                writer.WriteNumber("download_rate", Math.Round(_downloadRate));
                writer.WriteNumber("upload_rate", Math.Round(_uploadRate));
                writer.WriteNumber("count", _order.Count);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            return (buffer.WrittenSpan.ToArray(), _generation);
        }
    }

    // The keys removed after generation `sent` and not listed again since (under _gate).
    private void WriteRemoved(Utf8JsonWriter writer, long sent)
    {
        HashSet<TransferKey>? written = null;
        foreach (var (key, generation) in _removals)
        {
            if (generation > sent && !_entries.ContainsKey(key) && (written ??= []).Add(key))
            {
                writer.WriteStringValue(key.Hash);
            }
        }
    }

    // A new reading unless the last is less than half an interval old (under _gate): each row compared with the kept
    // one, its JSON written again only when it changed.
    private void Read()
    {
        if (_taken && _time.GetElapsedTime(_takenAt) < Interval / 2)
        {
            return;
        }

        _taken = true;
        _takenAt = _time.GetTimestamp();
        _reading.Clear();
        _read(_reading);
        var reading = ++_readings;
        var generation = _generation + 1;
        var changed = false;
        var membership = false;
        double down = 0, up = 0;
        foreach (var row in _reading)
        {
            if (!_entries.TryGetValue(row.Key, out var entry))
            {
                entry = new Entry(row, WriteRow(row), generation);
                _entries.Add(row.Key, entry);
                changed = membership = true;
            }
            else if (entry.Seen == reading)
            {
                continue; // listed twice (a transfer added while the networks were read): the first counts
            }
            else if (entry.Row != row)
            {
                // A row whose JSON reads the same (a rate moving under its rounding) is not sent again.
                entry.Row = row;
                var json = WriteRow(row);
                if (!json.AsSpan().SequenceEqual(entry.Json))
                {
                    entry.Json = json;
                    entry.Changed = generation;
                    changed = true;
                }
            }

            entry.Seen = reading;
            down += row.DownloadRate;
            up += row.UploadRate;
        }

        foreach (var (key, entry) in _entries)
        {
            if (entry.Seen != reading)
            {
                _entries.Remove(key);
                _removals.Add((key, generation));
                changed = membership = true;
            }
        }

        _downloadRate = down;
        _uploadRate = up;
        if (membership)
        {
            _order.Clear();
            _order.AddRange(_entries.Values);
            _order.Sort(static (a, b) => TransferListing.CompareByAdded(new(a.Row.Key, a.Row.AddedAt), new(b.Row.Key, b.Row.AddedAt)));
        }

        if (_removals.Count > MaxRemovals)
        {
            var dropped = _removals.Count / 2;
            _horizon = _removals[dropped - 1].Generation;
            _removals.RemoveRange(0, dropped);
        }

        if (changed)
        {
            _generation = generation;
        }

        _reading.Clear();
    }

    private byte[] WriteRow(in TransferRow row)
    {
        RowsWritten++;
        _rowBuffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_rowBuffer))
        {
            TransferView.Row(row).WriteTo(writer);
        }

        return _rowBuffer.WrittenSpan.ToArray();
    }

    // One transfer's row as last read, its JSON (UTF-8), the generation it last changed at and the reading that last listed it.
    private sealed class Entry(TransferRow row, byte[] json, long changed)
    {
        public TransferRow Row { get; set; } = row;

        public byte[] Json { get; set; } = json;

        public long Changed { get; set; } = changed;

        public long Seen { get; set; }
    }
}
