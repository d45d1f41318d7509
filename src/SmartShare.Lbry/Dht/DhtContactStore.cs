using System.Net;
using Microsoft.Data.Sqlite;
using SmartShare.Storage;

namespace SmartShare.Lbry.Dht;

/// <summary>
/// The routing table's contacts, kept in the database so that a restarted node can rejoin the DHT from
/// them alone (lbry-sdk does the same with its peer table). Saving replaces the whole set.
/// </summary>
public sealed class DhtContactStore
{
    /// <summary>More would only slow start-up; a routing table rarely holds more than a few hundred.</summary>
    public const int MaxSaved = 4096;

    private readonly SqliteDatabase _database;

    internal DhtContactStore(SqliteDatabase database)
    {
        _database = database;
    }

    /// <summary>Replaces the saved contacts with these (most recently heard from first, up to <see cref="MaxSaved"/>).</summary>
    public void Replace(IEnumerable<SavedContact> contacts)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        using var connection = _database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using (var clear = connection.CreateCommand())
        {
            clear.CommandText = "DELETE FROM dht_contacts";
            clear.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.CommandText =
            "INSERT OR REPLACE INTO dht_contacts (node_id, address, udp_port, last_replied) VALUES ($id, $address, $port, $replied)";
        var id = insert.Parameters.Add("$id", SqliteType.Blob);
        var address = insert.Parameters.Add("$address", SqliteType.Text);
        var port = insert.Parameters.Add("$port", SqliteType.Integer);
        var replied = insert.Parameters.Add("$replied", SqliteType.Integer);
        insert.Prepare();
        foreach (var contact in contacts.OrderByDescending(contact => contact.LastReplied).Take(MaxSaved))
        {
            id.Value = contact.NodeId.ToArray();
            address.Value = contact.EndPoint.Address.ToString();
            port.Value = contact.EndPoint.Port;
            replied.Value = contact.LastReplied.ToUnixTimeSeconds();
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>The saved contacts, most recently heard from first; rows that no longer parse are skipped.</summary>
    public IReadOnlyList<SavedContact> Load()
    {
        var contacts = new List<SavedContact>();
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT node_id, address, udp_port, last_replied FROM dht_contacts ORDER BY last_replied DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", MaxSaved);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (IPAddress.TryParse(reader.GetString(1), out var address) && reader.GetInt64(2) is > 0 and <= ushort.MaxValue)
            {
                contacts.Add(new SavedContact(
                    (byte[])reader.GetValue(0),
                    new IPEndPoint(address, reader.GetInt32(2)),
                    DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(3))));
            }
        }

        return contacts;
    }
}
