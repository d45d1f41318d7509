using FsCheck;
using FsCheck.Fluent;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Streams;

/// <summary>
/// Whatever happens to the stored blobs of a stream, rebuilding it by its sd hash gives the original bytes
/// or the typed error, and a refused rebuild leaves nothing in the download folder.
/// </summary>
public sealed class StreamCorruptionPropertyTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private enum Damage
    {
        None,
        FlipByte,
        Truncate,
        Extend,
        Delete,
        SwapWithAnotherBlob,
        ReplaceWithOtherValidCiphertext,
    }

    [Fact]
    public void Every_rebuild_is_identical_or_refused_with_the_typed_error()
    {
        var cases =
            from size in Gen.Choose(1, (3 * StreamEncryptor.PlaintextPerBlob) + 100)
            from damage in Gen.Elements(Enum.GetValues<Damage>())
            from target in Gen.Choose(0, 1000)
            from offset in Gen.Choose(0, int.MaxValue)
            select (size, damage, target, offset);
        var run = 0;
        var property = Prop.ForAll(cases.ToArbitrary(), sample =>
        {
            var folder = _temp.Combine($"run-{run++}");
            return RebuildIsIdenticalOrRefused(folder, sample.size, sample.damage, sample.target, sample.offset);
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(30), property);
    }

    private static bool RebuildIsIdenticalOrRefused(string folder, int size, Damage damage, int target, int where)
    {
        var storage = LbryStorage.Open(Path.Combine(folder, "data"));
        Directory.CreateDirectory(folder);
        var source = TestFiles.Write(Path.Combine(folder, "file.bin"), size, seed: size);
        var created = new StreamEncryptor(storage, SecureRandomSource.Instance).CreateAsync(source).GetAwaiter().GetResult();

        // Damage one of the stream's blobs on disk; the sd blob itself is a candidate too.
        var blobs = created.Descriptor.DataBlobs.Select(blob => blob.BlobHash!.Value).Append(created.SdHash).ToList();
        var victim = storage.Blobs.PathOf(blobs[target % blobs.Count]);
        var bytes = File.ReadAllBytes(victim);
        switch (damage)
        {
            case Damage.FlipByte:
                bytes[where % bytes.Length] ^= (byte)(1 + (where % 255));
                File.WriteAllBytes(victim, bytes);
                break;
            case Damage.Truncate:
                File.WriteAllBytes(victim, bytes.AsSpan(0, where % bytes.Length).ToArray());
                break;
            case Damage.Extend:
                File.WriteAllBytes(victim, [.. bytes, .. new byte[1 + (where % 32)]]);
                break;
            case Damage.Delete:
                File.Delete(victim);
                break;
            case Damage.SwapWithAnotherBlob:
                File.Copy(storage.Blobs.PathOf(blobs[(target + 1) % blobs.Count]), victim, overwrite: true);
                break;
            case Damage.ReplaceWithOtherValidCiphertext:
                // Same length, well-formed padding under another key: only the hash can tell.
                var other = new StreamEncryptor(storage, SecureRandomSource.Instance).CreateAsync(source).GetAwaiter().GetResult();
                File.Copy(storage.Blobs.PathOf(other.Descriptor.DataBlobHash(0)), victim, overwrite: true);
                break;
            default:
                break;
        }

        var output = Path.Combine(folder, "out");
        try
        {
            // Reopen as a restarted node would: start-up reconciliation sees the damage first.
            var reopened = LbryStorage.Open(Path.Combine(folder, "data"));
            var decryptor = new StreamDecryptor(reopened);
            var path = decryptor.SaveAsync(decryptor.ReadDescriptor(created.SdHash), output).GetAwaiter().GetResult();
            return TestFiles.Sha256(path) == TestFiles.Sha256(source);
        }
        catch (LbryDataException)
        {
            return !Directory.Exists(output) || !Directory.EnumerateFileSystemEntries(output).Any();
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }
}
