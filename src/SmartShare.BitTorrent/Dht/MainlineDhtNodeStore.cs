using System.Net;
using Microsoft.Data.Sqlite;
using SmartShare.Kademlia;
using SmartShare.Storage;

namespace SmartShare.BitTorrent.Dht;

/// <summary>
/// The Mainline DHT routing table kept in SQLite (table <c>bt_dht_nodes</c>), so a restarted node rejoins from
/// the nodes it knew without any bootstrap router. Saving replaces the whole set. Thread-safe: each call uses
/// its own pooled connection.
/// </summary>
public sealed class MainlineDhtNodeStore
{
    /// <summary>The schema component name recorded in the database's <c>schema_versions</c>.</summary>
    public const string Component = "bittorrent-dht";

    /// <summary>A routing table's good nodes fit easily; more would only slow the start-up pings.</summary>
    public const int MaxSaved = 200;

    private static readonly string[] Migrations =
    [
        "CREATE TABLE bt_dht_nodes (" +
        "node_id BLOB NOT NULL, address TEXT NOT NULL, port INTEGER NOT NULL, last_replied INTEGER NOT NULL, " +
        "PRIMARY KEY (address, port))",
    ];

    private readonly SqliteDatabase _database;

    private MainlineDhtNodeStore(SqliteDatabase database) => _database = database;

    /// <summary>Opens (creating if needed) the database file and its <c>bt_dht_nodes</c> table.</summary>
    /// <exception cref="StorageException">The database cannot be opened or is from a newer version.</exception>
    public static MainlineDhtNodeStore Open(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        return new MainlineDhtNodeStore(SqliteDatabase.Open(databasePath, Component, Migrations));
    }

    /// <summary>Replaces the saved nodes with these, the most recently heard from first, up to <see cref="MaxSaved"/>.</summary>
    public void Save(IEnumerable<MainlineDhtContact> contacts)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var kept = contacts
            .Where(contact => contact.Id.Length == KrpcCodec.IdLength)
            .OrderByDescending(contact => contact.LastReplied)
            .Take(MaxSaved)
            .ToList();
        try
        {
            using var connection = _database.OpenConnection();
            using var transaction = connection.BeginTransaction();
            using (var clear = connection.CreateCommand())
            {
                clear.CommandText = "DELETE FROM bt_dht_nodes";
                clear.ExecuteNonQuery();
            }

            using var insert = connection.CreateCommand();
            insert.CommandText =
                "INSERT OR REPLACE INTO bt_dht_nodes (node_id, address, port, last_replied) VALUES ($id, $address, $port, $replied)";
            var id = insert.Parameters.Add("$id", SqliteType.Blob);
            var address = insert.Parameters.Add("$address", SqliteType.Text);
            var port = insert.Parameters.Add("$port", SqliteType.Integer);
            var replied = insert.Parameters.Add("$replied", SqliteType.Integer);
            insert.Prepare();
            foreach (var contact in kept)
            {
                id.Value = contact.Id.ToArray();
                address.Value = KrpcCodec.Normalize(contact.EndPoint.Address).ToString();
                port.Value = contact.EndPoint.Port;
                replied.Value = contact.LastReplied.ToUnixTimeSeconds();
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw new StorageException($"Cannot save DHT nodes to {_database.Path} ({ex.Message.TrimEnd('.')}).", ex);
        }
    }

    /// <summary>The saved nodes, most recently heard from first; rows that no longer parse are skipped.</summary>
    public IReadOnlyList<MainlineDhtContact> Load()
    {
        var contacts = new List<MainlineDhtContact>();
        try
        {
            using var connection = _database.OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT node_id, address, port, last_replied FROM bt_dht_nodes ORDER BY last_replied DESC LIMIT $limit";
            command.Parameters.AddWithValue("$limit", MaxSaved);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (reader.GetValue(0) is byte[] { Length: KrpcCodec.IdLength } id
                    && IPAddress.TryParse(reader.GetString(1), out var address)
                    && reader.GetInt64(2) is > 0 and <= ushort.MaxValue)
                {
                    contacts.Add(new MainlineDhtContact(
                        NodeId.FromBytes(id),
                        new IPEndPoint(address, reader.GetInt32(2)),
                        DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(3))));
                }
            }
        }
        catch (SqliteException ex)
        {
            throw new StorageException($"Cannot read DHT nodes from {_database.Path} ({ex.Message.TrimEnd('.')}).", ex);
        }

        return contacts;
    }
}
