using System.Net;
using System.Security.Cryptography;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>A temp folder with helpers to make content, torrents and our BitTorrent clients on 127.0.0.1.</summary>
internal sealed class EngineTestKit : IAsyncDisposable
{
    private readonly List<BitTorrentClient> _clients = [];
    private readonly List<TorrentStorage> _storages = [];

    public EngineTestKit()
    {
        Root = Directory.CreateTempSubdirectory("smartshare-engine-").FullName;
    }

    public string Root { get; }

    public List<string> Log { get; } = [];

    public string Folder(string name) => Directory.CreateDirectory(Path.Combine(Root, name)).FullName;

    public static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        RandomNumberGenerator.Fill(bytes);
        return bytes;
    }

    /// <param name="time">The client's clock; null for the system one.</param>
    public BitTorrentClient Client(Action<TorrentSessionOptions>? configure = null, TimeProvider? time = null)
    {
        var client = new BitTorrentClient(
            new BitTorrentClientOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                SessionOptions = () =>
                {
                    var options = new TorrentSessionOptions();
                    configure?.Invoke(options);
                    return options;
                },
                Log = line =>
                {
                    lock (Log)
                    {
                        Log.Add(line);
                    }
                },
            },
            SecureRandomSource.Instance,
            time);
        client.Start();
        _clients.Add(client);
        return client;
    }

    public TorrentStorage Storage(Torrent torrent, string folder, string? rootName = null, bool incompleteNames = false)
    {
        var storage = new TorrentStorage(torrent.Info, folder, rootName, incompleteNames: incompleteNames);
        _storages.Add(storage);
        return storage;
    }

    /// <summary>Seeds <paramref name="torrent"/> whose content already is in <paramref name="folder"/>.</summary>
    public async Task<TorrentSession> SeedAsync(BitTorrentClient client, Torrent torrent, string folder)
    {
        var session = client.Add(torrent, Storage(torrent, folder), resume: null);
        var all = new Bitfield(torrent.Info.PieceCount);
        all.SetAll();
        await session.StartAsync(CancellationToken.None, all);
        return session;
    }

    public bool LogHas(string text)
    {
        lock (Log)
        {
            return Log.Exists(line => line.Contains(text, StringComparison.Ordinal));
        }
    }

    public static async Task WaitAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Waited {limit.TotalSeconds:0} s for {what}.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        foreach (var storage in _storages)
        {
            storage.Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
