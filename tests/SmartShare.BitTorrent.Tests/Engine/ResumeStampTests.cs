using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Storage;
using SmartShare.IO;
using static SmartShare.BitTorrent.Tests.Storage.TestTorrents;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// The resume record's file stamps tell our own writes from changes behind the node's back: a piece write that was
/// counted before a save stamped the file but landed after it is ours, and the next save stamps the file again
/// rather than marking it changed (which would cost a whole check of it at the next start).
/// </summary>
public sealed class ResumeStampTests : IDisposable
{
    private const int PieceLength = 16 * 1024;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-stamps-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_write_under_way_when_a_save_stamps_the_file_is_not_taken_for_a_change_behind_the_nodes_back()
    {
        var (info, content) = SingleFile("film.bin", 4 * PieceLength, PieceLength, seed: 7);
        using var storage = new TorrentStorage(info, _folder);
        var logged = new List<string>();
        // A wall clock an hour ahead, so no stamp is too recent to be recorded.
        var recorder = new Recording(storage, _folder, new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(1)), line =>
        {
            lock (logged)
            {
                logged.Add(line);
            }
        });
        FileStamp[] SaveAfterVerifying(int piece) => recorder.SaveAfterVerifying(piece).Stamps!;

        await storage.WritePieceAsync(0, Piece(info, content, 0), CancellationToken.None);
        var first = SaveAfterVerifying(0);
        Assert.True(first[0].IsKnown);

        // Piece 1's write is counted, then held before its bytes land; a save stamps the file meanwhile.
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        storage.BeforeWriteLandsForTests = async () =>
        {
            reached.TrySetResult();
            await release.Task;
        };
        var write = storage.WritePieceAsync(1, Piece(info, content, 1), CancellationToken.None).AsTask();
        await reached.Task.WaitAsync(Limit);
        Assert.True(storage.WritesTo(0).InFlight);
        var during = SaveAfterVerifying(0);
        Assert.Equal(first[0], during[0]);

        // The kernel's file time moves in ticks: wait until a write now would move it past the stamp taken.
        var probe = Path.Combine(_folder, "probe");
        var deadline = DateTime.UtcNow + Limit;
        do
        {
            await File.WriteAllBytesAsync(probe, [1]);
            Assert.True(DateTime.UtcNow < deadline, "the file time never moved on");
        }
        while (File.GetLastWriteTimeUtc(probe).Ticks <= during[0].LastWriteUtcTicks);

        release.SetResult();
        await write.WaitAsync(Limit);
        storage.BeforeWriteLandsForTests = null;
        Assert.False(storage.WritesTo(0).InFlight);
        Assert.NotEqual(during[0], storage.StampOf(0));

        // The bytes landed after the stamp, with no write of ours started since: still ours, so stamped again.
        var after = SaveAfterVerifying(1);
        Assert.Equal(storage.StampOf(0), after[0]);
        Assert.DoesNotContain(logged, line => line.Contains("behind the node's back", StringComparison.Ordinal));

        // A change that really is behind the node's back is still told apart.
        File.SetLastWriteTimeUtc(storage.CurrentPath(0), File.GetLastWriteTimeUtc(storage.CurrentPath(0)).AddSeconds(-30));
        var touched = SaveAfterVerifying(2);
        Assert.False(touched[0].IsKnown);
        Assert.Contains(logged, line => line.Contains("behind the node's back", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_save_while_the_file_is_written_does_not_wait_for_the_disk_and_one_after_it_settles_makes_it_durable()
    {
        var (info, content) = SingleFile("film.bin", 4 * PieceLength, PieceLength, seed: 11);
        using var storage = new TorrentStorage(info, _folder);
        // The wall clock of the saves starts now: the file just written is within the racy window.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var recorder = new Recording(storage, _folder, time, _ => { });
        ResumeRecord SaveAfterVerifying(int piece) => recorder.SaveAfterVerifying(piece);

        await storage.WritePieceAsync(0, Piece(info, content, 0), CancellationToken.None);
        await storage.WritePieceAsync(1, Piece(info, content, 1), CancellationToken.None);
        var racy = SaveAfterVerifying(0);
        Assert.True(racy.Pieces[0]);
        Assert.False(racy.Stamps![0].IsKnown);
        Assert.Equal(0, storage.FileFlushes);

        var again = SaveAfterVerifying(1);
        Assert.True(again.Pieces[1]);
        Assert.Equal(0, storage.FileFlushes);

        // Past the racy window the stamp is recorded, and the file is flushed before the row vouches for its pieces.
        time.Advance(ResumeRecorder.RacyWindow + TimeSpan.FromSeconds(1));
        var settled = SaveAfterVerifying(1);
        Assert.Equal(storage.StampOf(0), settled.Stamps![0]);
        Assert.Equal(1, storage.FileFlushes);

        // Nothing written since: a later save has nothing to flush.
        SaveAfterVerifying(1);
        Assert.Equal(1, storage.FileFlushes);
    }

    // A recorder over one storage and a resume store in the test's folder, as a session keeps them.
    private sealed class Recording
    {
        private readonly Lock _sessionLock = new();
        private readonly InfoHash _infoHash = InfoHash.FromBytes(new byte[InfoHash.Length]);
        private readonly TorrentStorage _storage;
        private readonly ResumeStore _store;
        private readonly Bitfield _verified;
        private readonly ResumeRecorder _recorder;

        public Recording(TorrentStorage storage, string folder, TimeProvider time, Action<string> log)
        {
            _storage = storage;
            _store = ResumeStore.Open(Path.Combine(folder, "resume.db"));
            _verified = new Bitfield(storage.Info.PieceCount);
            _recorder = new ResumeRecorder(_sessionLock, time, _store, _infoHash, storage, new TorrentSessionOptions(), () => _verified, log);
            _recorder.StartFrom(storage.StampFiles(), recorded: null);
        }

        // Marks the piece verified, saves as the recorder's loop does, and reads the row back.
        public ResumeRecord SaveAfterVerifying(int piece)
        {
            lock (_sessionLock)
            {
                _verified[piece] = true;
                _recorder.MarkDirty();
            }

            _recorder.Save(force: true);
            return _store.LoadRecord(_infoHash, _storage.Info.PieceCount, 1)!;
        }
    }
}
