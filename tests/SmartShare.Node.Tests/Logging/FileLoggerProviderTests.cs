using Microsoft.Extensions.Logging;
using SmartShare.Node.Logging;

namespace SmartShare.Node.Tests.Logging;

public sealed class FileLoggerProviderTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    [Fact]
    public void Writes_one_line_per_message_with_level_and_category_and_flushes_on_dispose()
    {
        var path = _directory.File("logs/smartshare.log");
        using (var provider = new FileLoggerProvider(path))
        {
            var logger = provider.CreateLogger("SmartShare.Test");
            logger.Log(LogLevel.Information, new EventId(1), "hello", null, (state, _) => state);
            logger.Log(LogLevel.Warning, new EventId(2), "two\nlines", null, (state, _) => state);
        }

        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith(" info SmartShare.Test: hello", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(" warn SmartShare.Test: two lines", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Rotates_by_size_and_keeps_only_the_newest_files()
    {
        var path = _directory.File("smartshare.log");
        var message = new string('x', 200);
        using (var provider = new FileLoggerProvider(path, maxFileBytes: 4096, maxFiles: 3))
        {
            var logger = provider.CreateLogger("Rotation");
            for (var index = 0; index < 200; index++)
            {
                var line = $"{index:D4} {message}";
                logger.Log(LogLevel.Information, default, line, null, (state, _) => state);
            }
        }

        Assert.True(File.Exists(path));
        Assert.True(File.Exists(path + ".1"));
        Assert.True(File.Exists(path + ".2"));
        Assert.False(File.Exists(path + ".3"));
        foreach (var file in new[] { path, path + ".1", path + ".2" })
        {
            Assert.InRange(new FileInfo(file).Length, 1, 4096);
        }

        Assert.Contains("0199 ", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_full_queue_drops_lines_and_counts_them_instead_of_blocking_the_caller()
    {
        var path = _directory.File("busy.log");
        long dropped;
        using (var provider = new FileLoggerProvider(path, queueCapacity: 1))
        {
            var logger = provider.CreateLogger("Busy");
            for (var index = 0; index < 10_000; index++)
            {
                logger.Log(LogLevel.Information, default, "line", null, (state, _) => state);
            }

            dropped = provider.Dropped;
        }

        Assert.Equal(10_000, File.ReadAllLines(path).Length + dropped);
    }

    public void Dispose() => _directory.Dispose();
}
