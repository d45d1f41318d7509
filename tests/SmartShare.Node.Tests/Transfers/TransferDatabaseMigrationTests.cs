using System.Net;
using Microsoft.Data.Sqlite;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Downloads;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.Transfers;

/// <summary>
/// A database written by the release before the transfers table (the fixture <c>release-2026-12-04.db</c>: five
/// streams and four torrents in every state it knew) opens with every row carried over into <c>transfers</c>.
/// </summary>
public sealed class TransferDatabaseMigrationTests : IDisposable
{
    private const string SongInfoHash = "d92c53a11f137d65ea2b70bb3bd54fc471c68fe5";
    private const string AlbumInfoHash = "532ee974d2055d5a769fdd7cd3e99ea4c4032ff8";
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_780_000_000);

    private readonly NodeTestDirectory _directory = new();

    public TransferDatabaseMigrationTests()
    {
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Transfers", "Fixtures", "release-2026-12-04.db"), _directory.File("smartshare.db"));
    }

    [Fact]
    public void Every_stream_row_is_carried_over_with_its_state_paths_peers_and_private_flag()
    {
        var streams = FileStore.Open(_directory.Path).List();

        Assert.Equal(5, streams.Count);
        Assert.Equal(
            new FileRecord(Sd('1'), FileKind.Download, FileStatus.Completed, "/home/u/Downloads", "/home/u/Downloads/talk.webm", "talk.webm", null, streams[0].Peers, T0, T0.AddMinutes(3)),
            streams[0]);
        Assert.Equal([IPEndPoint.Parse("192.0.2.10:4444"), IPEndPoint.Parse("[2001:db8::7]:4444")], streams[0].Peers);
        Assert.Equal((FileStatus.Downloading, (string?)null), (streams[1].Status, streams[1].Path));
        Assert.Equal((FileStatus.Failed, "No peer has the descriptor."), (streams[2].Status, streams[2].Error));
        Assert.Equal((FileStatus.Stopped, "/home/u/Other/.half.mkv.ab12.partial"), (streams[3].Status, streams[3].Path));
        Assert.Equal((FileKind.Share, true), (streams[4].Kind, streams[4].Private));
        Assert.True(FileStore.Open(_directory.Path).IsPrivate(Sd('5')));
    }

    [Fact]
    public void Every_torrent_row_is_carried_over_with_its_metainfo_and_magnet()
    {
        var store = TorrentStore.Open(_directory.Path);
        var torrents = store.List();

        Assert.Equal([SongInfoHash, AlbumInfoHash, new string('c', 40), new string('d', 40)], torrents.Select(record => record.InfoHash.ToString()));
        Assert.Equal((FileKind.Share, FileStatus.Completed, "song.flac", 300_000L), (torrents[0].Kind, torrents[0].Status, torrents[0].RootName, torrents[0].TotalLength));
        Assert.Equal((FileStatus.Downloading, "album (1)", 160_001L), (torrents[1].Status, torrents[1].RootName, torrents[1].TotalLength));
        Assert.True(torrents[2].AwaitingMetadata);
        Assert.StartsWith("magnet:?xt=urn:btih:cccc", torrents[2].Magnet, StringComparison.Ordinal);
        Assert.Equal((FileStatus.Failed, "The metadata never came."), (torrents[3].Status, torrents[3].Error));

        Assert.Equal(SongInfoHash, TorrentParser.Parse(store.LoadMetainfo(InfoHash.Parse(SongInfoHash))!).InfoHash.ToString());
        Assert.Equal(AlbumInfoHash, TorrentParser.Parse(store.LoadMetainfo(InfoHash.Parse(AlbumInfoHash))!).InfoHash.ToString());
        Assert.Null(store.LoadMetainfo(InfoHash.Parse(new string('c', 40))));
    }

    [Fact]
    public void The_copy_runs_once_and_new_rows_go_only_to_the_transfers_table()
    {
        FileStore.Open(_directory.Path);
        var files = FileStore.Open(_directory.Path);
        TorrentStore.Open(_directory.Path);
        files.Upsert(new FileRecord(Sd('6'), FileKind.Share, FileStatus.Completed, "/x", "/x/new.bin", "new.bin", null, [], T0, T0));
        files.Delete(Sd('3'));

        Assert.Equal(9, Count("SELECT count(*) FROM transfers"));
        Assert.Equal(5, Count("SELECT count(*) FROM transfers WHERE network = 'stream'"));
        Assert.Equal(5, Count("SELECT count(*) FROM files"));
        Assert.Equal(2, Count("SELECT version FROM schema_versions WHERE component = 'node_transfers'"));
        Assert.Equal(0, Count("SELECT sum(uploaded) FROM transfers"));
        Assert.Equal(5, FileStore.Open(_directory.Path).List().Count);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    private static BlobHash Sd(char digit) => BlobHash.Parse(new string(digit, 96));

    private long Count(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_directory.File("smartshare.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
