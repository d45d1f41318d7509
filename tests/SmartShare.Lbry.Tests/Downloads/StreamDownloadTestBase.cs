using System.Net;
using SmartShare.Lbry.Streams;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Downloads;

/// <summary>A seeder's store, a downloader's store and a fake blob network between them, for stream download tests.</summary>
public abstract class StreamDownloadTestBase : IDisposable
{
    protected const int Payload = StreamEncryptor.PlaintextPerBlob;

    protected StreamDownloadTestBase()
    {
        Seeder = LbryStorage.Open(Temp.Combine("seeder"));
        Downloader = LbryStorage.Open(Temp.Combine("downloader"));
    }

    protected TempDirectory Temp { get; } = new();

    protected LbryStorage Seeder { get; }

    protected LbryStorage Downloader { get; }

    protected FakeBlobNetwork Network { get; } = new();

    public void Dispose()
    {
        Temp.Dispose();
        GC.SuppressFinalize(this);
    }

    protected async Task<(string Source, StreamCreateResult Created)> ShareAsync(long size)
    {
        var source = TestFiles.Write(Temp.Combine($"source-{size}.bin"), size, seed: (int)(size % 1000));
        var created = await new StreamEncryptor(Seeder, SecureRandomSource.Instance).CreateAsync(source);
        return (source, created);
    }

    protected static IPEndPoint Peer(int port) => new(IPAddress.Loopback, port);

    protected static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    protected static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, limit.Token);
        }
    }
}
