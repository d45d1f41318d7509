using System.Collections.Concurrent;
using SmartShare.Lbry;
using SmartShare.Node.Transfers;
using SmartShare.Storage;

namespace SmartShare.Node.Limits;

/// <summary>
/// Per-transfer speed limits (<c>transfer_set_limits</c>) in their own table, <c>transfer_limits</c> (component
/// <c>node_transfer_limits</c> of the node's database): a row per limited transfer, keyed by its sd hash or info hash,
/// with its download and upload limit in KiB/s (null for none). Read once at start into memory; each change is
/// written before it is answered, so a crash loses none.
/// </summary>
public sealed class TransferLimitStore
{
    public const string Component = "node_transfer_limits";

    private static readonly string[] Schema =
    [
        """
        CREATE TABLE transfer_limits (
            key TEXT PRIMARY KEY,
            network TEXT NOT NULL CHECK (network IN ('stream', 'torrent')),
            download_kib INTEGER CHECK (download_kib IS NULL OR download_kib > 0),
            upload_kib INTEGER CHECK (upload_kib IS NULL OR upload_kib > 0)
        )
        """,
    ];

    private readonly SqliteDatabase _database;
    private readonly ConcurrentDictionary<TransferKey, TransferLimits> _limits = new();
    private readonly Lock _writeLock = new();

    private TransferLimitStore(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, network, download_kib, upload_kib FROM transfer_limits";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var network = reader.GetString(1) == "torrent" ? TransferNetwork.Torrent : TransferNetwork.Stream;
            _limits[new TransferKey(network, reader.GetString(0))] = new TransferLimits(
                reader.IsDBNull(2) ? null : reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetInt32(3));
        }
    }

    public static TransferLimitStore Open(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var path = Path.Combine(Path.GetFullPath(dataDirectory), LbryStorage.DatabaseFileName);
        return new TransferLimitStore(SqliteDatabase.Open(path, Component, Schema));
    }

    /// <summary>The transfer's limits; <see cref="TransferLimits.None"/> when it has none.</summary>
    public TransferLimits Get(TransferKey key) => _limits.GetValueOrDefault(key, TransferLimits.None);

    /// <summary>Writes the transfer's limits (both null: the row goes).</summary>
    public void Set(TransferKey key, TransferLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        lock (_writeLock)
        {
            using var connection = _database.OpenConnection();
            using var command = connection.CreateCommand();
            if (limits.IsEmpty)
            {
                command.CommandText = "DELETE FROM transfer_limits WHERE key = $key";
            }
            else
            {
                command.CommandText = """
                    INSERT INTO transfer_limits (key, network, download_kib, upload_kib) VALUES ($key, $network, $down, $up)
                    ON CONFLICT (key) DO UPDATE SET download_kib = excluded.download_kib, upload_kib = excluded.upload_kib
                    """;
                command.Parameters.AddWithValue("$network", key.Network == TransferNetwork.Torrent ? "torrent" : "stream");
                command.Parameters.AddWithValue("$down", (object?)limits.DownloadKibPerSecond ?? DBNull.Value);
                command.Parameters.AddWithValue("$up", (object?)limits.UploadKibPerSecond ?? DBNull.Value);
            }

            command.Parameters.AddWithValue("$key", key.Hash);
            command.ExecuteNonQuery();
            if (limits.IsEmpty)
            {
                _limits.TryRemove(key, out _);
            }
            else
            {
                _limits[key] = limits;
            }
        }
    }

    /// <summary>Forgets a removed transfer's limits.</summary>
    public void Remove(TransferKey key) => Set(key, TransferLimits.None);

    /// <summary>Every transfer that has a limit.</summary>
    public IReadOnlyDictionary<TransferKey, TransferLimits> All() => new Dictionary<TransferKey, TransferLimits>(_limits);
}
