using System.Net;
using Microsoft.Data.Sqlite;
using SmartShare.Lbry.Dht;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Dht;

public sealed class DhtContactStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public void Saved_contacts_come_back_after_a_restart_most_recent_first()
    {
        var older = new SavedContact(Id(1), new IPEndPoint(IPAddress.Parse("1.2.3.4"), 4444), DateTimeOffset.FromUnixTimeSeconds(1000));
        var newer = new SavedContact(Id(2), new IPEndPoint(IPAddress.Parse("5.6.7.8"), 4445), DateTimeOffset.FromUnixTimeSeconds(2000));
        LbryStorage.Open(_temp.Path).Contacts.Replace([older, newer]);

        var loaded = LbryStorage.Open(_temp.Path).Contacts.Load();

        Assert.Equal(2, loaded.Count);
        Assert.Equal(newer.EndPoint, loaded[0].EndPoint);
        Assert.Equal(Id(2), loaded[0].NodeId.ToArray());
        Assert.Equal(newer.LastReplied, loaded[0].LastReplied);
        Assert.Equal(older.EndPoint, loaded[1].EndPoint);
    }

    [Fact]
    public void Saving_replaces_the_previous_set()
    {
        var contacts = LbryStorage.Open(_temp.Path).Contacts;
        contacts.Replace([new SavedContact(Id(1), new IPEndPoint(IPAddress.Parse("1.2.3.4"), 4444), DateTimeOffset.UnixEpoch)]);

        contacts.Replace([new SavedContact(Id(2), new IPEndPoint(IPAddress.Parse("5.6.7.8"), 4444), DateTimeOffset.UnixEpoch)]);

        var only = Assert.Single(contacts.Load());
        Assert.Equal(IPAddress.Parse("5.6.7.8"), only.EndPoint.Address);
    }

    [Fact]
    public void At_most_the_cap_is_kept()
    {
        var contacts = LbryStorage.Open(_temp.Path).Contacts;
        var many = Enumerable.Range(0, DhtContactStore.MaxSaved + 100)
            .Select(i => new SavedContact(Id(i), new IPEndPoint(new IPAddress(BitConverter.GetBytes(i + 16_777_216)), 4444), DateTimeOffset.FromUnixTimeSeconds(i)));

        contacts.Replace(many);

        var loaded = contacts.Load();
        Assert.Equal(DhtContactStore.MaxSaved, loaded.Count);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(DhtContactStore.MaxSaved + 99), loaded[0].LastReplied);
    }

    [Fact]
    public void A_database_made_before_the_contacts_table_gains_it_on_open()
    {
        // Schema v1 of the lbry component, as the first release wrote it.
        var path = Path.Combine(_temp.Path, LbryStorage.DatabaseFileName);
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText =
                "CREATE TABLE schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL);" +
                "INSERT INTO schema_versions VALUES ('lbry', 1);" +
                "CREATE TABLE blobs (hash TEXT PRIMARY KEY, length INTEGER NOT NULL, modified_ticks INTEGER NOT NULL, added_at INTEGER NOT NULL);" +
                "CREATE TABLE streams (sd_hash TEXT PRIMARY KEY, stream_hash TEXT NOT NULL, stream_name TEXT NOT NULL, suggested_file_name TEXT NOT NULL, blob_count INTEGER NOT NULL, size_upper_bound INTEGER NOT NULL, source_path TEXT, created_at INTEGER NOT NULL);" +
                "CREATE TABLE stream_blobs (sd_hash TEXT NOT NULL, blob_num INTEGER NOT NULL, blob_hash TEXT NOT NULL, length INTEGER NOT NULL, PRIMARY KEY (sd_hash, blob_num));";
            create.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();

        var storage = LbryStorage.Open(_temp.Path);

        Assert.Empty(storage.Contacts.Load());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }

    private static byte[] Id(int seed)
    {
        var id = new byte[48];
        BitConverter.TryWriteBytes(id, seed);
        return id;
    }
}
