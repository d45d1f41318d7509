using System.Diagnostics;
using System.Globalization;
using SmartShare.IO;
using SmartShare.Tests.Shared;

namespace SmartShare.Core.Tests.IO;

/// <summary>
/// <see cref="FileStamp"/>: a strict stamp holds the file's change time as the kernel keeps it, so an edit whose
/// modification time was put back (which a plain stamp cannot see) or a rename moves it; a recorded stamp without a
/// change time still vouches as before.
/// </summary>
public sealed class FileStampTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-stamp-").FullName;

    [Fact]
    public void A_strict_stamp_is_the_files_size_and_times_as_stat_reads_them()
    {
        var path = Write("film.bin", 12_345);
        var strict = FileStamp.Strict(path);

        Assert.Equal(FileStamp.Of(path), strict with { ChangeUtcTicks = 0 });
        using (var handle = File.OpenHandle(path))
        {
            Assert.Equal(strict, FileStamp.Strict(handle));
        }

        if (!OperatingSystem.IsLinux())
        {
            Assert.False(strict.IsStrict);
            return;
        }

        // GNU stat's own reading of the same inode, to the nanosecond (a tick is 100 ns).
        var (size, modified, changed) = Stat(path);
        Assert.True(strict.IsStrict);
        Assert.Equal(size, strict.Length);
        Assert.Equal(modified, strict.LastWriteUtcTicks);
        Assert.Equal(changed, strict.ChangeUtcTicks);
    }

    [Fact]
    public void An_edit_with_its_modification_time_put_back_moves_only_the_strict_stamp()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // Change times are read on Linux only.
        }

        var path = Write("film.bin", 70_000);
        var plain = FileStamp.Of(path);
        var strict = FileStamp.Strict(path);
        FileClock.WaitPast(strict.ChangeUtcTicks);

        var modified = File.GetLastWriteTimeUtc(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 4_000;
            stream.WriteByte(0x5A);
        }

        File.SetLastWriteTimeUtc(path, modified);

        Assert.True(plain.Vouches(FileStamp.Of(path)));
        Assert.False(strict.Vouches(FileStamp.Strict(path)));
        Assert.Equal(strict.LastWriteUtcTicks, FileStamp.Strict(path).LastWriteUtcTicks);

        // A stamp recorded without a change time (before strict stamps were kept) vouches on length and time alone.
        Assert.True(plain.Vouches(FileStamp.Strict(path)));
    }

    [Fact]
    public void A_rename_moves_the_change_time_and_nothing_else()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // Change times are read on Linux only.
        }

        var path = Write("partial.bin", 5_000);
        var before = FileStamp.Strict(path);
        FileClock.WaitPast(before.ChangeUtcTicks);

        var renamed = Path.Combine(_folder, "final.bin");
        File.Move(path, renamed);
        var after = FileStamp.Strict(renamed);

        Assert.Equal(before with { ChangeUtcTicks = after.ChangeUtcTicks }, after);
        Assert.True(after.ChangeUtcTicks > before.ChangeUtcTicks);
        Assert.False(before.Vouches(after));
    }

    [Fact]
    public void Links_folders_and_missing_paths()
    {
        var target = Write("target.bin", 3_000);
        var link = Path.Combine(_folder, "link.bin");
        File.CreateSymbolicLink(link, target);
        var folder = Directory.CreateDirectory(Path.Combine(_folder, "folder")).FullName;

        Assert.Equal(FileStamp.Unknown, FileStamp.Strict(link));
        Assert.Equal(FileStamp.Strict(target), FileStamp.Strict(link, followLinks: true));
        Assert.Equal(FileStamp.Unknown, FileStamp.Strict(folder, followLinks: true));
        Assert.Equal(FileStamp.Unknown, FileStamp.Strict(Path.Combine(_folder, "nothing.bin"), followLinks: true));
        Assert.Equal(FileStamp.Unknown, FileStamp.Strict(Path.Combine(_folder, "no\0such")));
        Assert.False(FileStamp.Unknown.Vouches(FileStamp.Unknown));
    }

    [Fact]
    public void A_stamp_of_a_file_changed_just_before_it_was_read_is_no_strict_voucher()
    {
        var readFrom = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        var settled = new FileStamp(10, readFrom.UtcTicks - TimeSpan.TicksPerHour, readFrom.UtcTicks - FileStamp.RacyWindow.Ticks - 1);
        var recent = settled with { ChangeUtcTicks = readFrom.UtcTicks - TimeSpan.TicksPerMillisecond };
        var later = settled with { ChangeUtcTicks = readFrom.UtcTicks + TimeSpan.TicksPerSecond };

        Assert.Equal(settled, settled.SettledBefore(readFrom));
        Assert.Equal(recent with { ChangeUtcTicks = 0 }, recent.SettledBefore(readFrom));
        Assert.False(recent.SettledBefore(readFrom).IsStrict);
        Assert.False(later.SettledBefore(readFrom).IsStrict);
        Assert.Equal(FileStamp.Unknown, FileStamp.Unknown.SettledBefore(readFrom));
        Assert.True(recent.SettledBefore(readFrom).Vouches(recent));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, int length)
    {
        var path = Path.Combine(_folder, name);
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static (long Size, long Modified, long Changed) Stat(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%s %.9Y %.9Z", path]) { RedirectStandardOutput = true })!;
        var fields = stat.StandardOutput.ReadToEnd().Trim().Split(' ');
        stat.WaitForExit();
        return (long.Parse(fields[0], CultureInfo.InvariantCulture), Ticks(fields[1]), Ticks(fields[2]));

        static long Ticks(string seconds)
        {
            var parts = seconds.Split('.');
            return DateTime.UnixEpoch.Ticks + (long.Parse(parts[0], CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond)
                + (long.Parse(parts[1], CultureInfo.InvariantCulture) / 100);
        }
    }
}
