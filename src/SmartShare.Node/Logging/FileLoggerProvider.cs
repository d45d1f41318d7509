using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace SmartShare.Node.Logging;

/// <summary>
/// Writes log lines to a file from one background task. Callers only enqueue into a bounded channel and never
/// wait: when the writer falls behind, lines are dropped and counted. The file rotates by size
/// (<c>smartshare.log</c>, <c>.1</c>, <c>.2</c>, ...), and disposing flushes what is queued.
/// </summary>
public sealed class FileLoggerProvider : ILoggerProvider
{
    public const long DefaultMaxFileBytes = 10 * 1024 * 1024;
    public const int DefaultMaxFiles = 3;

    private static readonly TimeSpan DisposeTimeLimit = TimeSpan.FromSeconds(5);

    private readonly Channel<string> _lines;
    private readonly Task _writer;
    private readonly long _maxFileBytes;
    private readonly int _maxFiles;
    private readonly TimeProvider _time;
    private long _dropped;
    private int _disposed;

    public FileLoggerProvider(string path, long maxFileBytes = DefaultMaxFileBytes, int maxFiles = DefaultMaxFiles, int queueCapacity = 10_000, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFileBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFiles, 1);
        Path = System.IO.Path.GetFullPath(path);
        _maxFileBytes = maxFileBytes;
        _maxFiles = maxFiles;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(queueCapacity)
        {
            // Wait mode makes TryWrite fail (never block) when full, so drops can be counted; the drop modes report success.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    public string Path { get; }

    /// <summary>Lines dropped because the queue was full (the disk was slower than the logging).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _lines.Writer.TryComplete();
        // Shutdown waits a bounded time for the queue to drain; a stuck disk must not hang the process.
        _writer.Wait(DisposeTimeLimit);
    }

    internal void Enqueue(string line)
    {
        if (!_lines.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task WriteLoopAsync()
    {
        FileStream? file = null;
        try
        {
            var reader = _lines.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var line))
                {
                    var bytes = Encoding.UTF8.GetBytes(line);
                    file ??= OpenForAppend();
                    if (file.Length > 0 && file.Length + bytes.Length > _maxFileBytes)
                    {
                        await file.DisposeAsync().ConfigureAwait(false);
                        Rotate();
                        file = OpenForAppend();
                    }

                    file.Write(bytes);
                }

                file?.Flush();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Logging must never take the node down; the console still has the messages.
        }
        finally
        {
            if (file is not null)
            {
                await file.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private FileStream OpenForAppend() => new(Path, FileMode.Append, FileAccess.Write, FileShare.Read);

    private void Rotate()
    {
        var oldest = $"{Path}.{_maxFiles - 1}";
        if (File.Exists(oldest))
        {
            File.Delete(oldest);
        }

        for (var index = _maxFiles - 2; index >= 1; index--)
        {
            var from = $"{Path}.{index}";
            if (File.Exists(from))
            {
                File.Move(from, $"{Path}.{index + 1}", overwrite: true);
            }
        }

        if (_maxFiles > 1)
        {
            File.Move(Path, $"{Path}.1", overwrite: true);
        }
        else
        {
            File.Delete(Path);
        }
    }

    internal string Format(LogLevel level, string category, string message, Exception? exception)
    {
        var text = new StringBuilder(64 + message.Length);
        text.Append(_time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
            .Append(' ').Append(LevelName(level))
            .Append(' ').Append(category)
            .Append(": ").Append(message.ReplaceLineEndings(" "))
            .Append('\n');
        if (exception is not null)
        {
            text.Append(exception.ToString()).Append('\n');
        }

        return text.ToString();
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private sealed class FileLogger(FileLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && Volatile.Read(ref provider._disposed) == 0;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (IsEnabled(logLevel))
            {
                provider.Enqueue(provider.Format(logLevel, category, formatter(state, exception), exception));
            }
        }
    }
}
